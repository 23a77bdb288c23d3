/**
 * The jobs the benchmark runs, the same for every implementation (bench/official/jobs.ts
 * re-exports these). An action job waits its duration (simulated), then runs one mutation of its
 * own, so the job itself makes 2 calls, as a typical job does (call an API, store the answer).
 */
import { v } from "convex/values";
import { recordAttempt, recordSuccess } from "../jobState.js";
import { internal } from "./_generated/api.js";
import { internalAction, internalMutation, internalQuery } from "./_generated/server.js";

/** The mutation job, and the mutation every action job runs: writes one document. */
export const writeRow = internalMutation({
  args: { n: v.number() },
  returns: v.null(),
  handler: async (ctx, { n }) => {
    await ctx.db.insert("rows", { n });
    return null;
  },
});

/**
 * The action job: waits `ms`, then runs `writeRow`. With `failFirst`, its first `failFirst`
 * attempts throw after that (the pool or retrier retries them); every attempt writes its row.
 */
export const actionJob = internalAction({
  args: { n: v.number(), ms: v.number(), failFirst: v.optional(v.number()) },
  returns: v.null(),
  handler: async (ctx, { n, ms, failFirst = 0 }) => {
    const attempt = recordAttempt(n);
    await new Promise((resolve) => setTimeout(resolve, ms));
    await ctx.runMutation(internal.jobs.writeRow, { n });
    if (attempt <= failFirst) throw new Error(`job ${n}: attempt ${attempt} failed`);
    recordSuccess(n);
    return null;
  },
});

/** Rows the jobs wrote (one per mutation job, one per action attempt); the harness checks it. */
export const rowCount = internalQuery({
  args: {},
  returns: v.number(),
  handler: async (ctx): Promise<number> => (await ctx.db.query("rows").collect()).length,
});
