/**
 * Workers: run one attempt of one job. A worker writes only its own job document (and, at most
 * once per dispatcher wait, a kick), so completions of different jobs never write the same document.
 */
import type { FunctionHandle } from "convex/server";
import { v } from "convex/values";
import { internalAction, internalMutation } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import { vJobError } from "../../shared/validators.js";
import { finish, kickIfWaiting, toJobError, type Outcome } from "./jobs.js";

/**
 * Runs a mutation or query job inside this transaction, so the job's writes, its result and its
 * onComplete commit together or not at all. A throwing job rolls back only its own writes.
 */
export const runMutationJob = internalMutation({
  args: { jobId: v.id("jobs"), attempt: v.number() },
  returns: v.null(),
  handler: async (ctx, { jobId, attempt }) => {
    const job = await ctx.db.get(jobId);
    if (!job || job.state !== "running" || job.attempt !== attempt) return null;
    const pool = (await ctx.db.get(job.pool))!;
    let outcome: Outcome;
    try {
      const returnValue =
        job.kind === "query"
          ? await ctx.runQuery(job.fnHandle as FunctionHandle<"query">, job.args)
          : await ctx.runMutation(job.fnHandle as FunctionHandle<"mutation">, job.args);
      outcome = { kind: "success", returnValue };
    } catch (e) {
      outcome = { kind: "failed", error: toJobError(e) };
    }
    await finish(ctx, job, pool, outcome);
    await kickIfWaiting(ctx, pool);
    return null;
  },
});

/** Runs an action job, then reports its outcome to `complete` in one mutation. */
export const runActionJob = internalAction({
  args: { jobId: v.id("jobs"), attempt: v.number(), fnHandle: v.string(), args: v.any() },
  returns: v.null(),
  handler: async (ctx, { jobId, attempt, fnHandle, args }) => {
    let outcome: Outcome;
    try {
      const returnValue = await ctx.runAction(fnHandle as FunctionHandle<"action">, args);
      outcome = { kind: "success", returnValue };
    } catch (e) {
      outcome = { kind: "failed", error: toJobError(e) };
    }
    await ctx.runMutation(internal.pool.worker.complete, { jobId, attempt, outcome });
    return null;
  },
});

/** Records an action attempt's outcome. Ignored if the attempt is no longer the job's current one. */
export const complete = internalMutation({
  args: {
    jobId: v.id("jobs"),
    attempt: v.number(),
    outcome: v.union(
      v.object({ kind: v.literal("success"), returnValue: v.any() }),
      v.object({ kind: v.literal("failed"), error: vJobError }),
    ),
  },
  returns: v.null(),
  handler: async (ctx, { jobId, attempt, outcome }) => {
    const job = await ctx.db.get(jobId);
    if (!job || job.state !== "running" || job.attempt !== attempt) return null;
    const pool = (await ctx.db.get(job.pool))!;
    await finish(ctx, job, pool, outcome);
    await kickIfWaiting(ctx, pool);
    return null;
  },
});
