/**
 * The pool's tables. Who writes which table is the heart of the conflict argument in
 * ../README.md; keep the two in step.
 */
import { defineTable } from "convex/server";
import { v, type Infer } from "convex/values";
import { vDedupeMode, vJobError, vJobKind, vJobResult, vLogLevel, vResultKind, vRetryPolicy } from "../../shared/validators.js";
import { vRetryRule } from "../../shared/retryRules.js";
import { vJobState } from "./state.js";

/** Pool options that `configure` can change at runtime. */
export const vPoolOverrides = v.object({
  maxParallelism: v.optional(v.number()),
  retentionMs: v.optional(v.number()),
  logLevel: v.optional(vLogLevel),
});

/**
 * Per-pool config. Written only by enqueue (create, config change), configure and cancelAll, never by the
 * dispatcher, so workers and enqueues can read it without conflicting with dispatch runs.
 */
export const pools = defineTable({
  name: v.string(),
  maxParallelism: v.number(),
  retentionMs: v.number(),
  logLevel: vLogLevel,
  /**
   * The pool's retry policy as the client last passed it. Stored with the config, never read by the
   * component: the client resolves `retry: true` to its own policy before enqueue, and each job
   * carries the policy it runs with.
   */
  retry: v.optional(vRetryPolicy),
  /**
   * A failed action attempt that will be retried keeps its slot through the backoff and is
   * re-armed in place (one write), instead of going back to the queue (the retrier's pools).
   */
  retryKeepsSlot: v.optional(v.boolean()),
  /**
   * Legacy: never written or read. The client applies `retryActionsByDefault` itself when it
   * resolves a job's retry policy. Kept optional so stored documents stay valid.
   */
  retryActionsByDefault: v.optional(v.boolean()),
  /**
   * Legacy (before 0.2): the wake fields lived here, so every dispatcher state change was a write
   * that enqueues and workers read. Kept optional so stored documents stay valid; never read.
   */
  wakeAt: v.optional(v.union(v.number(), v.null())),
  kickOnComplete: v.optional(v.boolean()),
  /**
   * Set by `configure` (a runtime change, no deploy): these win over the options each enqueue
   * passes, until `configure` resets them. The fields above always hold the values in effect.
   */
  overrides: v.optional(vPoolOverrides),
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

/** An attempt the dispatcher started and has not yet seen end. */
export const vRunning = v.object({
  jobId: v.id("jobs"),
  attempt: v.number(),
  /** The scheduled run executing it: a mutation worker, or an action runner shared by a batch. */
  workerId: v.id("_scheduled_functions"),
  kind: vJobKind,
});
export type Running = Infer<typeof vRunning>;

/**
 * The dispatcher's state, one per pool. Only `dispatch` writes it. Others read it only through
 * a stale snapshot (see ./view.ts), which takes no read dependency: its writes never make an
 * enqueue or a worker retry.
 */
export const dispatchState = defineTable({
  pool: v.id("pools"),
  running: v.array(vRunning),
  counts: vCounts,
  /** The dispatcher's own timer (watchdog, retries, cleanup, confirm), if one is pending. */
  timer: v.optional(v.object({ at: v.number(), id: v.id("_scheduled_functions") })),
  /** Consecutive follow-up runs that saw no progress (they back off). */
  idleFollowUps: v.number(),
  /** When the next finished job expires (null: none finished; unset: unknown, look it up). */
  nextExpiryAt: v.optional(v.union(v.number(), v.null())),
  /**
   * Published for enqueue: 0 = "covered" (a dispatch run that will see new jobs is on its way);
   * null = not covered, an enqueue must schedule one. Unset on documents from before 0.2.
   */
  wakeAt: v.optional(v.union(v.number(), v.null())),
  /** A run must look again at or after this time: enqueues may have raced the last uncovering. */
  confirmAt: v.optional(v.number()),
  /** When the dispatcher last printed the `pool.report` log event (./events.ts). */
  reportedAt: v.optional(v.number()),
  /** Next time running jobs are checked for scheduled runs that died. */
  watchdogAt: v.optional(v.number()),
}).index("by_pool", ["pool"]);

/** One document per job: its definition, its state and, once finished, its result. */
export const jobs = defineTable({
  pool: v.id("pools"),
  kind: vJobKind,
  fnHandle: v.string(),
  fnName: v.string(),
  /** The name given at enqueue, for logs and status (unset: fnName stands in). */
  name: v.optional(v.string()),
  args: v.any(),
  state: vJobState,
  /** When the job may (next) start: enqueue time, runAt, or the end of a retry's backoff. */
  readyAt: v.number(),
  /** Attempts started so far. */
  attempt: v.number(),
  retry: v.optional(v.union(vRetryPolicy, v.null())),
  /** Data-only rule deciding which errors are retried (see retries/). */
  retryIf: v.optional(vRetryRule),
  /** `excludeKinds`: final result kinds for which onComplete is not called. */
  onComplete: v.optional(v.object({ fnHandle: v.string(), context: v.any(), excludeKinds: v.optional(v.array(vResultKind)) })),
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
  /**
   * Dedupe or debounce (./dedupe.ts): the live job's key, namespaced by kind ("dedupe:…" or
   * "debounce:…"). Cleared in the write that ends the job, so `by_pool_dedupe` holds live jobs only.
   */
  dedupeKey: v.optional(v.string()),
  /** How this job was enqueued: a dedupe mode, or "debounce". Kept after the job ends. */
  dedupeMode: v.optional(vDedupeMode),
  /** Debounce: when the burst this job stands for began (its latest start is this + maxWaitMs). */
  firstEnqueuedAt: v.optional(v.number()),
  /**
   * Flow control (issue #8, owned by the dispatcher's work): queue order of a ready pending job;
   * unset while delayed. A debounce that moves `readyAt` clears it.
   */
  rank: v.optional(v.number()),
  /** Concurrency key, and the per-key cap for it (queueOneAfterActive sets "dedupe:<key>", 1). */
  key: v.optional(v.string()),
  keyLimit: v.optional(v.number()),
})
  .index("by_pool_state_ready", ["pool", "state", "readyAt"])
  .index("by_pool_expiry", ["pool", "expiresAt"])
  /** A pool's jobs in creation order: cancelAll reads the newest as its cutoff. */
  .index("by_pool", ["pool"])
  /** Live jobs by dedupe/debounce key, newest last: a dedupe enqueue reads a few of its key's. */
  .index("by_pool_dedupe", ["pool", "dedupeKey"]);

/** Insert-only deltas to the pending/canceled counts, folded in by the dispatcher. */
export const tallies = defineTable({
  pool: v.id("pools"),
  pending: v.number(),
  canceled: v.number(),
}).index("by_pool", ["pool"]);

/**
 * Legacy (before 0.2): completions' wake-up calls. Nothing writes it now; the table stays so
 * that deployments with leftover documents keep a valid schema.
 */
export const kicks = defineTable({ pool: v.id("pools") }).index("by_pool", ["pool"]);

export const poolTables = { pools, dispatchState, jobs, tallies, kicks };
