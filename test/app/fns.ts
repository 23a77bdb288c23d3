/**
 * Job functions for the pool tests. Concurrency is tracked in memory: convex-test runs in this
 * process, and actions really overlap under fake timers.
 */
import { v } from "convex/values";
import { ConvexError } from "convex/values";
import { internalAction, internalMutation, internalQuery, mutation, query } from "./_generated/server.js";

export const live = {
  active: 0,
  peak: 0,
  started: [] as string[],
  /** When each entry of `started` started (simulated ms). */
  startedAt: [] as number[],
  runs: new Map<string, number>(),
  /** Concurrency per key prefix (the part before the first "-"). */
  activeBy: new Map<string, number>(),
  peakBy: new Map<string, number>(),
};
export function resetLive() {
  live.active = 0;
  live.peak = 0;
  live.started = [];
  live.startedAt = [];
  live.runs.clear();
  live.activeBy.clear();
  live.peakBy.clear();
}

export const work = internalAction({
  args: { key: v.string(), ms: v.number(), fail: v.optional(v.boolean()), big: v.optional(v.boolean()), die: v.optional(v.number()) },
  handler: async (_ctx, { key, ms, fail, big }) => {
    live.active++;
    live.peak = Math.max(live.peak, live.active);
    const group = key.split("-")[0];
    live.activeBy.set(group, (live.activeBy.get(group) ?? 0) + 1);
    live.peakBy.set(group, Math.max(live.peakBy.get(group) ?? 0, live.activeBy.get(group)!));
    live.started.push(key);
    live.startedAt.push(Date.now());
    live.runs.set(key, (live.runs.get(key) ?? 0) + 1);
    try {
      await new Promise((r) => setTimeout(r, ms));
      if (fail) throw new Error(`work ${key} failed`);
      if (big) return "x".repeat(1100 * 1024); // too large to store with the job: the attempt fails
      return `done ${key}`;
    } finally {
      live.active--;
      live.activeBy.set(group, live.activeBy.get(group)! - 1);
    }
  },
});

export const write = internalMutation({
  args: { key: v.string(), fail: v.optional(v.boolean()) },
  handler: async (ctx, { key, fail }) => {
    live.started.push(key);
    live.startedAt.push(Date.now());
    live.runs.set(key, (live.runs.get(key) ?? 0) + 1);
    await ctx.db.insert("events", { kind: "write", key });
    if (fail) throw new ConvexError({ message: `write ${key} failed`, code: 42 });
    return key.length;
  },
});

export const read = internalQuery({
  args: { kind: v.string() },
  handler: async (ctx, { kind }) =>
    (await ctx.db.query("events").withIndex("by_kind", (q) => q.eq("kind", kind)).collect()).length,
});

export const done = internalMutation({
  args: { jobId: v.string(), context: v.any(), result: v.any() },
  handler: async (ctx, args) => {
    await ctx.db.insert("events", { kind: "done", key: args.jobId, data: { context: args.context, result: args.result } });
  },
});

export const badCallback = internalMutation({
  args: { jobId: v.string(), context: v.any(), result: v.any() },
  handler: async (ctx, args) => {
    await ctx.db.insert("events", { kind: "bad-callback-write", key: args.jobId });
    throw new Error("callback exploded");
  },
});

export const events = query({
  args: { kind: v.string() },
  handler: (ctx, { kind }) => ctx.db.query("events").withIndex("by_kind", (q) => q.eq("kind", kind)).collect(),
});

export const noop = mutation({ args: {}, handler: async () => null });

/**
 * Fails its first `failures` attempts (per key) in the way `how` says, then returns the attempt
 * number. `how`: "error" | "nonRetryable" | "retryAfter" | "status" (ConvexError with data.status).
 */
export const flaky = internalAction({
  args: {
    key: v.string(),
    failures: v.number(),
    how: v.optional(v.string()),
    status: v.optional(v.number()),
    ms: v.optional(v.number()),
    big: v.optional(v.boolean()),
    /** Attempts whose run dies before reporting (see test/setup.ts). */
    die: v.optional(v.number()),
  },
  handler: async (_ctx, { key, failures, how = "error", status, ms = 0, big }) => {
    const attempt = (live.runs.get(key) ?? 0) + 1;
    live.runs.set(key, attempt);
    live.started.push(`${key}#${attempt}@${Date.now()}`);
    if (ms) await new Promise((r) => setTimeout(r, ms));
    if (attempt > failures) return attempt;
    if (big) return "x".repeat(1100 * 1024); // too large to store: the attempt fails
    const { NonRetryableError, RetryAfterError, RateLimitedError } = await import("../../src/shared/errors.js");
    if (how === "rateLimited") throw new RateLimitedError(5_000);
    if (how === "nonRetryable") throw new NonRetryableError(`permanent ${key}`, { status: 400 });
    if (how === "retryAfter") throw new RetryAfterError(7_000, `rate limited ${key}`);
    if (how === "status") throw new ConvexError({ message: `http ${status}`, status: status ?? 500 });
    throw new Error(`flaky ${key} attempt ${attempt}`);
  },
});
