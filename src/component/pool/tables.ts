/**
 * The pool's tables. Who writes which table is the heart of the conflict argument in
 * ../README.md; keep the two in step.
 */
import { defineTable } from "convex/server";
import { v, type Infer } from "convex/values";
import { vDedupeMode, vJobError, vJobKind, vJobResult, vLogLevel, vResultKind, vRetryPolicy } from "../../shared/validators.js";
import { vRetryRule } from "../../shared/retryRules.js";
import { vCallbackShape } from "../../shared/compat.js";
import { vBucket, vRateLimit } from "../../shared/flow.js";

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
  /** `pause`: nothing starts until `resume`; enqueues are accepted, running jobs finish. */
  paused: v.optional(v.boolean()),
  /** Most jobs of one concurrency key running at once (default 1). */
  keyConcurrency: v.optional(v.number()),
  /** A token bucket on the pool's job starts (every attempt takes a token). */
  rateLimit: v.optional(vRateLimit),
  /** A token bucket per concurrency key on that key's starts. */
  keyRateLimit: v.optional(vRateLimit),
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
  /** The job's concurrency key: its slot counts against that key's cap too. */
  key: v.optional(v.string()),
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
  /** The pool's rate-limit bucket (`pools.rateLimit`). */
  bucket: v.optional(vBucket),
  /** Set once a job with a concurrency key was seen: until then, runs skip reading keys. */
  keyed: v.optional(v.boolean()),
}).index("by_pool", ["pool"]);

/**
 * What every job has, whatever its state: its definition, its place in the queue and what its
 * attempts so far left behind. The fields that belong to one state are in `vJobIn` below.
 */
export const jobFields = {
  pool: v.id("pools"),
  kind: vJobKind,
  fnHandle: v.string(),
  fnName: v.string(),
  /** The name given at enqueue, for logs and status (unset: fnName stands in). */
  name: v.optional(v.string()),
  args: v.any(),
  /** When the job may (next) start: enqueue time, runAt, or the end of a retry's backoff. */
  readyAt: v.number(),
  /**
   * Its place in the queue once ready: readyAt - boostMs. Unset while the job is delayed (not
   * ready at enqueue, or back from a failed attempt): the dispatcher sets it when the job is due.
   */
  rank: v.optional(v.number()),
  /** The priority's boost in ms (positive: sooner). Unset: 0. */
  boostMs: v.optional(v.number()),
  /** Concurrency key: at most the pool's `keyConcurrency` jobs of one key run at once. */
  key: v.optional(v.string()),
  /** A cap for this job's key that overrides the pool's (dedupe's queueOneAfterActive: 1). */
  keyLimit: v.optional(v.number()),
  /**
   * Set on jobs with a key or a priority: when such a job comes due after a delay, the
   * dispatcher writes its rank (a key must hear of it; a boost changes its place). A plain job
   * needs no write: its place is its readyAt, read straight from the delayed jobs' index.
   */
  promote: v.optional(v.literal(true)),
  /** Attempts started so far. */
  attempt: v.number(),
  /** Attempts turned away with a RateLimitedError: they count toward neither retries nor backoff. */
  rateLimitedAttempts: v.optional(v.number()),
  retry: v.optional(v.union(vRetryPolicy, v.null())),
  /** Data-only rule deciding which errors are retried (see retries/). */
  retryIf: v.optional(vRetryRule),
  /**
   * `excludeKinds`: final result kinds for which onComplete is not called. `argsShape`: the args
   * it receives (unset: ours; see shared/compat.ts).
   */
  onComplete: v.optional(v.object({ fnHandle: v.string(), context: v.any(), excludeKinds: v.optional(v.array(vResultKind)), argsShape: v.optional(vCallbackShape) })),
  /** The last failed attempt's error (a job back in line, or one that ran again after it). */
  lastError: v.optional(vJobError),
  /** How this job was enqueued: a dedupe mode, or "debounce". Kept after the job ends. */
  dedupeMode: v.optional(vDedupeMode),
  /** Debounce: when the burst this job stands for began (its latest start is this + maxWaitMs). */
  firstEnqueuedAt: v.optional(v.number()),
};

/**
 * Dedupe or debounce (./dedupe.ts): the live job's key, namespaced by kind ("dedupe:…" or
 * "debounce:…"). Only live states have it: a job that ends drops it in that write, so
 * `by_pool_dedupe` holds live jobs only.
 */
const dedupeKey = v.optional(v.string());
/** The onComplete callback threw this: recorded, not retried. */
const callbackError = v.optional(v.string());
const [vSuccess, vFailure, vCancellation] = vJobResult.members;

/** What a finished job has: its result (of the kind its state says), when it ended and expires. */
function finished<R extends typeof vSuccess | typeof vFailure | typeof vCancellation>(result: R) {
  return {
    result,
    finishedAt: v.number(),
    /** Deleted at this time (retention window); `by_pool_expiry` holds finished jobs only. */
    expiresAt: v.number(),
    /** When its last attempt started (unset: it never started). */
    startedAt: v.optional(v.number()),
    callbackError,
  };
}

/**
 * One member per state (./state.ts): a job has exactly the fields of its state, so the schema
 * refuses an impossible one (running without a worker, finished without a result or expiry,
 * succeeded with a failure). The table is a flat union told apart by `state`, not a nested
 * `state` object, so every document written before (state-specific fields were optional then)
 * matches its state's member as it is: see "Compatibility with stored data" in ../README.md.
 */
export const vJobIn = {
  pending: v.object({
    ...jobFields,
    state: v.literal("pending"),
    dedupeKey,
    /** A job back in line after a failed attempt: when that attempt started. */
    startedAt: v.optional(v.number()),
  }),
  running: v.object({
    ...jobFields,
    state: v.literal("running"),
    /** The scheduled run executing the attempt: its mutation worker, or the batch's action runner. */
    workerId: v.id("_scheduled_functions"),
    /** When the attempt started (a retry that kept its slot: when it is armed to start). */
    startedAt: v.number(),
    dedupeKey,
    /** Cancel hit the action while it ran: onComplete already heard "canceled", its result is discarded. */
    cancelRequested: v.optional(v.boolean()),
    /** That early onComplete threw. */
    callbackError,
  }),
  succeeded: v.object({ ...jobFields, state: v.literal("succeeded"), ...finished(vSuccess) }),
  failed: v.object({ ...jobFields, state: v.literal("failed"), ...finished(vFailure) }),
  canceled: v.object({
    ...jobFields,
    state: v.literal("canceled"),
    ...finished(vCancellation),
    /** Canceled while its action ran (the attempt's result was discarded). */
    cancelRequested: v.optional(v.boolean()),
  }),
};

/** One document per job, in the shape of its state (see `vJobIn`). */
export const jobs = defineTable(v.union(vJobIn.pending, vJobIn.running, vJobIn.succeeded, vJobIn.failed, vJobIn.canceled))
  .index("by_pool_state_ready", ["pool", "state", "readyAt"])
  /** Ready pending jobs of one key (unkeyed: key unset) in queue order. */
  .index("by_pool_state_key_rank", ["pool", "state", "key", "rank"])
  /** Delayed pending jobs (rank unset), plain or to promote, by the time they are due. */
  .index("by_pool_state_rank_promote_ready", ["pool", "state", "rank", "promote", "readyAt"])
  .index("by_pool_expiry", ["pool", "expiresAt"])
  /** A pool's jobs in creation order: cancelAll reads the newest as its cutoff. */
  .index("by_pool", ["pool"])
  /** Live jobs by dedupe/debounce key, newest last: a dedupe enqueue reads a few of its key's. */
  .index("by_pool_dedupe", ["pool", "dedupeKey"]);

/** What a tally tells the dispatcher about one concurrency key. */
export const vKeyNews = v.object({
  key: v.string(),
  /** Change to the key's pending count. */
  pending: v.number(),
  /** The lowest rank among the key's new ready jobs (unset: none ready yet). */
  rank: v.optional(v.number()),
  /** The cap its jobs carry (`keyLimit`), if any. */
  limit: v.optional(v.number()),
  /** `pauseKey` / `resumeKey`. */
  paused: v.optional(v.boolean()),
});
export type KeyNews = Infer<typeof vKeyNews>;

/**
 * Insert-only deltas to the pending/canceled counts, folded in by the dispatcher; they also
 * carry news of concurrency keys (new jobs, pause and resume), since only the dispatcher writes
 * a key's state.
 */
export const tallies = defineTable({
  pool: v.id("pools"),
  pending: v.number(),
  canceled: v.number(),
  keys: v.optional(v.array(vKeyNews)),
}).index("by_pool", ["pool"]);

/**
 * Where a key stands, for the dispatcher's choice of what starts next:
 *   open     has ready jobs: `at` is its place in line (see ./keys.ts); a key at its cap stays
 *            here, and the dispatcher skips it while it is (it counts running jobs per key)
 *   waiting  its rate-limit bucket is empty: `at` is when the next token is due
 *   paused   `pauseKey`
 *   idle     nothing ready: `at` is when its state may be dropped (its bucket is full again)
 */
export const vLane = v.union(v.literal("open"), v.literal("waiting"), v.literal("paused"), v.literal("idle"));
export type Lane = Infer<typeof vLane>;

/** Per-key state of a pool's concurrency keys. Only the dispatcher writes it. */
export const keys = defineTable({
  pool: v.id("pools"),
  key: v.string(),
  lane: vLane,
  at: v.number(),
  /** Pending jobs of the key as the dispatcher has folded them (for stats). */
  pending: v.number(),
  /** Rank of the key's first ready job, as last known; null: none known. */
  headRank: v.union(v.number(), v.null()),
  /** When a job of the key last started: a key served waits its turn behind the others. */
  servedAt: v.optional(v.number()),
  limit: v.optional(v.number()),
  paused: v.optional(v.boolean()),
  bucket: v.optional(vBucket),
})
  .index("by_pool_key", ["pool", "key"])
  .index("by_pool_lane", ["pool", "lane", "at"]);

/**
 * Legacy (before 0.2): completions' wake-up calls. Nothing writes it now; the table stays so
 * that deployments with leftover documents keep a valid schema.
 */
export const kicks = defineTable({ pool: v.id("pools") }).index("by_pool", ["pool"]);

export const poolTables = { pools, dispatchState, jobs, tallies, kicks, keys };
