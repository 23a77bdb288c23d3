/**
 * Job functions for the fault simulation (test/soak/). Each job follows a plan given in its args
 * (how many attempts fail, and how); what actually ran is tracked in memory (`sim`), which the
 * simulation reads to check the cap. Callbacks are recorded in the app's table, so a callback
 * whose transaction rolled back leaves no record, exactly as in production.
 */
import { v } from "convex/values";
import { internalAction, internalMutation, internalQuery } from "./_generated/server.js";
import { NonRetryableError, RateLimitedError } from "../../src/shared/errors.js";

/** One job function starting: how many of its pool's jobs were running then (itself included). */
export interface Start {
  pool: string;
  key: string;
  at: number;
  active: number;
  /** When the oldest of those running jobs started. */
  oldestAt: number;
  /** Its concurrency key, if it has one, and how many jobs of that key were running then (itself included). */
  group?: string;
  groupActive?: number;
}

export const sim = {
  /** Running job functions per pool: key -> start time. */
  live: new Map<string, Map<string, number>>(),
  starts: [] as Start[],
  /** Attempts made per job key (a rolled-back mutation attempt counts: it did run). */
  attempts: new Map<string, number>(),
  /** Interrupts a running action's wait (a killed runner's jobs die with it). */
  aborts: new Map<string, () => void>(),
  /** Attempts that failed as planned, by how. */
  failed: { error: 0, nonRetryable: 0, big: 0, rateLimited: 0 },
  /** Concurrency key of each running job function (job key -> group), for the per-key counts. */
  groups: new Map<string, string>(),
  /** Job keys whose function started while an earlier run of the same job was still running. */
  overlaps: [] as string[],
};

export function resetSim() {
  sim.live.clear();
  sim.starts = [];
  sim.attempts.clear();
  sim.aborts.clear();
  sim.failed = { error: 0, nonRetryable: 0, big: 0, rateLimited: 0 };
  sim.groups.clear();
  sim.overlaps = [];
}

/** Kills the running action jobs with these keys: they stop now and report nothing useful. */
export function abortJobs(keys: Iterable<string>) {
  for (const key of keys) sim.aborts.get(key)?.();
}

function begin(pool: string, key: string, group?: string): number {
  const live = sim.live.get(pool) ?? new Map<string, number>();
  sim.live.set(pool, live);
  const at = Date.now();
  if (live.has(key)) sim.overlaps.push(key);
  live.set(key, at);
  const start: Start = { pool, key, at, active: live.size, oldestAt: Math.min(...live.values()) };
  if (group !== undefined) {
    sim.groups.set(key, group);
    start.group = group;
    start.groupActive = [...live.keys()].filter((k) => sim.groups.get(k) === group).length;
  }
  sim.starts.push(start);
  const attempt = (sim.attempts.get(key) ?? 0) + 1;
  sim.attempts.set(key, attempt);
  return attempt;
}

function end(pool: string, key: string) {
  sim.live.get(pool)?.delete(key);
  sim.groups.delete(key);
}

/** The payload of a too-large result: over Convex's 1 MiB document limit. */
const tooBig = () => "x".repeat(1100 * 1024);

const vPlan = {
  pool: v.string(),
  key: v.string(),
  /** The first `failures` attempts fail... */
  failures: v.number(),
  /**
   * ...by throwing ("error"), with NonRetryableError, by returning a result too large to store,
   * or with RateLimitedError (retry after `retryAfterMs`: the attempt does not count).
   */
  how: v.union(v.literal("error"), v.literal("nonRetryable"), v.literal("big"), v.literal("rateLimited")),
  /** The job's concurrency key (flow soak): its starts are counted per key. */
  group: v.optional(v.string()),
  retryAfterMs: v.optional(v.number()),
};
type Plan = { how: "error" | "nonRetryable" | "big" | "rateLimited"; retryAfterMs?: number };

function fail({ how, retryAfterMs }: Plan, key: string, attempt: number): string {
  sim.failed[how]++;
  if (how === "big") return tooBig();
  if (how === "rateLimited") throw new RateLimitedError(retryAfterMs ?? 1_000);
  if (how === "nonRetryable") throw new NonRetryableError(`permanent ${key}`);
  throw new Error(`sim ${key} attempt ${attempt} failed`);
}

export const simAction = internalAction({
  args: { ...vPlan, ms: v.number() },
  handler: async (_ctx, { pool, key, failures, ms, group, ...plan }) => {
    const attempt = begin(pool, key, group);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        sim.aborts.set(key, () => {
          clearTimeout(timer);
          reject(new Error(`sim ${key}: killed with its runner`));
        });
      });
      return attempt <= failures ? fail(plan, key, attempt) : `ok ${key}#${attempt}`;
    } finally {
      sim.aborts.delete(key);
      end(pool, key);
    }
  },
});

export const simMutation = internalMutation({
  args: vPlan,
  handler: async (ctx, { pool, key, failures, group, ...plan }) => {
    const attempt = begin(pool, key, group);
    try {
      await ctx.db.insert("events", { kind: "sim-write", key });
      return attempt <= failures ? fail(plan, key, attempt) : `ok ${key}#${attempt}`;
    } finally {
      end(pool, key);
    }
  },
});

export const simQuery = internalQuery({
  args: { pool: v.string(), key: v.string() },
  handler: async (ctx, { pool, key }) => {
    begin(pool, key);
    try {
      return (await ctx.db.query("events").withIndex("by_kind", (q) => q.eq("kind", "sim-write")).take(5)).length;
    } finally {
      end(pool, key);
    }
  },
});

/** onComplete: one record per call that committed. */
export const simDone = internalMutation({
  args: { jobId: v.string(), context: v.any(), result: v.any() },
  handler: async (ctx, { jobId, context, result }) => {
    await ctx.db.insert("events", { kind: "sim-done", key: jobId, data: { context, kind: result.kind } });
  },
});

/** onComplete that throws: its record rolls back; the job's result must stand. */
export const simBadDone = internalMutation({
  args: { jobId: v.string(), context: v.any(), result: v.any() },
  handler: async (ctx, { jobId, result }) => {
    await ctx.db.insert("events", { kind: "sim-done", key: jobId, data: { kind: result.kind } });
    throw new Error("sim callback exploded");
  },
});
