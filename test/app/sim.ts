/**
 * Job functions for the fault simulation (test/soak/). Each job follows a plan given in its args
 * (how many attempts fail, and how); what actually ran is tracked in memory (`sim`), which the
 * simulation reads to check the cap. Callbacks are recorded in the app's table, so a callback
 * whose transaction rolled back leaves no record, exactly as in production.
 */
import { v } from "convex/values";
import { internalAction, internalMutation, internalQuery } from "./_generated/server.js";
import { NonRetryableError } from "../../src/shared/errors.js";

/** One job function starting: how many of its pool's jobs were running then (itself included). */
export interface Start {
  pool: string;
  key: string;
  at: number;
  active: number;
  /** When the oldest of those running jobs started. */
  oldestAt: number;
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
  failed: { error: 0, nonRetryable: 0, big: 0 },
};

export function resetSim() {
  sim.live.clear();
  sim.starts = [];
  sim.attempts.clear();
  sim.aborts.clear();
  sim.failed = { error: 0, nonRetryable: 0, big: 0 };
}

/** Kills the running action jobs with these keys: they stop now and report nothing useful. */
export function abortJobs(keys: Iterable<string>) {
  for (const key of keys) sim.aborts.get(key)?.();
}

function begin(pool: string, key: string): number {
  const live = sim.live.get(pool) ?? new Map<string, number>();
  sim.live.set(pool, live);
  const at = Date.now();
  live.set(key, at);
  sim.starts.push({ pool, key, at, active: live.size, oldestAt: Math.min(...live.values()) });
  const attempt = (sim.attempts.get(key) ?? 0) + 1;
  sim.attempts.set(key, attempt);
  return attempt;
}

function end(pool: string, key: string) {
  sim.live.get(pool)?.delete(key);
}

/** The payload of a too-large result: over Convex's 1 MiB document limit. */
const tooBig = () => "x".repeat(1100 * 1024);

const vPlan = {
  pool: v.string(),
  key: v.string(),
  /** The first `failures` attempts fail... */
  failures: v.number(),
  /** ...by throwing ("error"), with NonRetryableError, or by returning a result too large to store. */
  how: v.union(v.literal("error"), v.literal("nonRetryable"), v.literal("big")),
};

function fail(how: "error" | "nonRetryable" | "big", key: string, attempt: number): string {
  sim.failed[how]++;
  if (how === "big") return tooBig();
  if (how === "nonRetryable") throw new NonRetryableError(`permanent ${key}`);
  throw new Error(`sim ${key} attempt ${attempt} failed`);
}

export const simAction = internalAction({
  args: { ...vPlan, ms: v.number() },
  handler: async (_ctx, { pool, key, failures, how, ms }) => {
    const attempt = begin(pool, key);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        sim.aborts.set(key, () => {
          clearTimeout(timer);
          reject(new Error(`sim ${key}: killed with its runner`));
        });
      });
      return attempt <= failures ? fail(how, key, attempt) : `ok ${key}#${attempt}`;
    } finally {
      sim.aborts.delete(key);
      end(pool, key);
    }
  },
});

export const simMutation = internalMutation({
  args: vPlan,
  handler: async (ctx, { pool, key, failures, how }) => {
    const attempt = begin(pool, key);
    try {
      await ctx.db.insert("events", { kind: "sim-write", key });
      return attempt <= failures ? fail(how, key, attempt) : `ok ${key}#${attempt}`;
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
