/**
 * The pool's tables. Who writes which table is the heart of the conflict argument in
 * ../README.md; keep the two in step.
 */
import { defineTable } from "convex/server";
import { v } from "convex/values";
import { vJobError, vJobKind, vJobResult, vLogLevel, vRetryPolicy } from "../../shared/validators.js";
import { vRetryRule } from "../../shared/retryRules.js";
import { vJobState } from "./state.js";

/** Per-pool config and the "wake" fields that enqueue and completions read. */
export const pools = defineTable({
  name: v.string(),
  maxParallelism: v.number(),
  retentionMs: v.number(),
  logLevel: vLogLevel,
  /** Default retry policy for jobs that ask for retries without giving one. */
  retry: v.optional(vRetryPolicy),
  /** Retry actions when the job does not say (`retryActionsByDefault`). */
  retryActionsByDefault: v.optional(v.boolean()),
  /**
   * A dispatch is guaranteed at or before this time: 0 = "covered" (one is imminent, or a
   * completion will trigger one), null = nothing scheduled (an enqueue must kick).
   */
  wakeAt: v.union(v.number(), v.null()),
  /** True while the dispatcher waits on running jobs: their completions must kick it. */
  kickOnComplete: v.boolean(),
  /**
   * cancelAll: pending jobs whose `_creationTime` is at or before this never start. It is the
   * creation time of the pool's newest job when cancelAll ran (not wall time), so jobs enqueued
   * earlier in the same transaction or millisecond are covered and later ones are not.
   */
  canceledBefore: v.optional(v.number()),
}).index("by_name", ["name"]);

/** Counts as the dispatcher last saw them. */
export const vCounts = v.object({
  pending: v.number(),
  running: v.number(),
  succeeded: v.number(),
  failed: v.number(),
  canceled: v.number(),
});

/** The dispatcher's private state, one per pool. Only `dispatch` writes it. */
export const dispatchState = defineTable({
  pool: v.id("pools"),
  running: v.array(
    v.object({
      jobId: v.id("jobs"),
      attempt: v.number(),
      workerId: v.id("_scheduled_functions"),
      kind: vJobKind,
    }),
  ),
  counts: vCounts,
  /** The dispatcher's own timer (watchdog, delayed jobs, cleanup), if one is pending. */
  timer: v.optional(v.object({ at: v.number(), id: v.id("_scheduled_functions") })),
  /** Consecutive follow-up runs that saw no progress; after a few we wait for kicks instead. */
  idleFollowUps: v.number(),
  /** When the next finished job expires (null: none finished; unset: unknown, look it up). */
  nextExpiryAt: v.optional(v.union(v.number(), v.null())),
}).index("by_pool", ["pool"]);

/** One document per job: its definition, its state and, once finished, its result. */
export const jobs = defineTable({
  pool: v.id("pools"),
  kind: vJobKind,
  fnHandle: v.string(),
  fnName: v.string(),
  args: v.any(),
  state: vJobState,
  /** When the job may (next) start: enqueue time, runAt, or the end of a retry's backoff. */
  readyAt: v.number(),
  /** Attempts started so far. */
  attempt: v.number(),
  retry: v.optional(v.union(vRetryPolicy, v.null())),
  /** Data-only rule deciding which errors are retried (see retries/). */
  retryIf: v.optional(vRetryRule),
  onComplete: v.optional(v.object({ fnHandle: v.string(), context: v.any() })),
  workerId: v.optional(v.id("_scheduled_functions")),
  startedAt: v.optional(v.number()),
  lastError: v.optional(vJobError),
  /** Set when cancel hits a running action: its result will be discarded. */
  cancelRequested: v.optional(v.boolean()),
  result: v.optional(vJobResult),
  finishedAt: v.optional(v.number()),
  /** Finished jobs are deleted at this time (retention window). Unset while not finished. */
  expiresAt: v.optional(v.number()),
  /** The onComplete callback threw this: recorded, not retried. */
  callbackError: v.optional(v.string()),
})
  .index("by_pool_state_ready", ["pool", "state", "readyAt"])
  .index("by_pool_expiry", ["pool", "expiresAt"])
  /** A pool's jobs in creation order: cancelAll reads the newest as its cutoff. */
  .index("by_pool", ["pool"]);

/** Insert-only deltas to the pending/canceled counts, folded in by the dispatcher. */
export const tallies = defineTable({
  pool: v.id("pools"),
  pending: v.number(),
  canceled: v.number(),
}).index("by_pool", ["pool"]);

/** A completion's wake-up call; at most one per dispatcher wait, deleted by the dispatcher. */
export const kicks = defineTable({ pool: v.id("pools") }).index("by_pool", ["pool"]);

export const poolTables = { pools, dispatchState, jobs, tallies, kicks };
