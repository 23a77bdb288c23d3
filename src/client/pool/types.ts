/** Public types of the work pool client. */
import type { FunctionReference, FunctionVisibility } from "convex/server";
import type { Infer } from "convex/values";
import type { JobResult, LogLevel, ResultKind, RetryPolicy } from "../../shared/validators.js";
import type { RetryRule } from "../../shared/retryRules.js";
import type { vJobStatus } from "../../component/pool/status.js";
import type { vPoolStats } from "../../component/pool/status.js";
import type { Priority, RateLimit } from "../../shared/flow.js";

export type { Priority, PriorityLevel, RateLimit } from "../../shared/flow.js";
export type { KeyStats, PoolInspection } from "../../component/pool/flow.js";

/** A job's id. Branded so it cannot be mixed up with other strings. */
export type JobId = string & { readonly __convexJobsJobId: true };

/** Options for a pool. All have defaults. */
export interface WorkpoolOptions {
  /**
   * The pool's name: pools with different names in one mount are independent queues. Default:
   * "default", one pool per mount (as the official workpool, which has one pool per mount).
   */
  name?: string;
  /**
   * Most jobs running at once, an integer from 1 to 1,000. 1 serializes jobs. Default: 10 (as the
   * official workpool). `configure` changes it at runtime.
   */
  maxParallelism?: number;
  /** How long finished jobs (and their results) are kept for `status`, in ms. Default: one day. */
  retentionMs?: number;
  /** The component's log level for this pool. Default: "WARN". */
  logLevel?: LogLevel;
  /**
   * The pool's retry policy: used by jobs enqueued with `retry: true`, and by action jobs when
   * `retryActionsByDefault` is set. Unset fields take the defaults (see README).
   */
  retry?: Partial<RetryPolicy>;
  /**
   * Action jobs waiting out a retry's backoff keep their slot, and their next attempt is armed in
   * place (one write instead of two; attempts due together share a runner). Default: false, a
   * job in backoff frees its slot and re-queues by its retry time. `ActionRetrier` sets it: a
   * run is one unit of concurrency from start to finish.
   */
  retryKeepsSlot?: boolean;
  /** `retry` under the official workpool's name, so ported code keeps working. Pass one or the other. */
  defaultRetryBehavior?: Partial<RetryPolicy>;
  /** Retry action jobs that do not say otherwise. Default: false. */
  retryActionsByDefault?: boolean;
  /** Which errors are retried, for jobs that don't give their own rule. Default: all. */
  retryIf?: RetryRule;
  /**
   * Most jobs of one concurrency key (the enqueue option `key`) running at once, 1 to 1,000.
   * Default: 1, one at a time per key. The pool's `maxParallelism` still caps the total.
   */
  keyConcurrency?: number;
  /**
   * A token bucket on the pool's job starts: at most `rate` starts per `periodMs`, in bursts of up
   * to `capacity` (default `rate`). Every attempt takes a token, retries included. Jobs over the
   * limit wait; none is dropped.
   */
  rateLimit?: RateLimit;
  /** A token bucket like `rateLimit`, one per concurrency key, on that key's starts. */
  keyRateLimit?: RateLimit;
}

/**
 * A runtime change to a pool (`Workpool.configure`): the values given win over the constructor's
 * options, for every `Workpool` of this name, until a `configure` with `reset: true`.
 */
export interface PoolConfigUpdate {
  /** Most jobs running at once, 0 to 1,000: 0 pauses the pool. Raising it starts waiting jobs at once. */
  maxParallelism?: number;
  /** How long finished jobs are kept, in ms (applies to jobs that finish from now on). */
  retentionMs?: number;
  /** The component's log level for this pool. */
  logLevel?: LogLevel;
  /** Drop earlier runtime values first, so the constructor's options apply again. */
  reset?: boolean;
}

/** A pool's configuration in effect, as `configure` returns it. */
export interface PoolConfig {
  name: string;
  maxParallelism: number;
  retentionMs: number;
  logLevel: LogLevel;
  /** The values set by `configure` that win over the constructor's options. */
  overrides: Partial<Pick<PoolConfig, "maxParallelism" | "retentionMs" | "logLevel">>;
}

/** The args an onComplete mutation receives. Use `onCompleteArgs(...)` to validate them. */
export type OnCompleteArgs<Context = unknown, Returns = unknown> = {
  jobId: string;
  context: Context;
  result: JobResult<Returns>;
};

/** Options for one enqueue. */
export interface EnqueueOptions<Context = unknown, Returns = unknown> {
  /**
   * The job's name in logs, log events and `status` (e.g. "welcome-email"). Default: the
   * function's name, like "emails:send".
   */
  name?: string;
  /** Start no earlier than this time (ms since epoch). Exclusive with `runAfter`. */
  runAt?: number;
  /** Start no earlier than this many ms from now. Exclusive with `runAt`. */
  runAfter?: number;
  /** A mutation called exactly once with `{ jobId, context, result }` when the job ends. */
  onComplete?: FunctionReference<"mutation", FunctionVisibility, OnCompleteArgs<Context, Returns>, any> | null;
  /**
   * Final result kinds for which onComplete is not called, e.g. `["canceled"]`. Failed attempts
   * that will be retried never call it. Default: none, every final result calls it.
   */
  onCompleteExcludeKinds?: readonly ResultKind[];
  /** Passed to onComplete as `context`. Any Convex value. */
  context?: Context;
  /** `true`: the pool's policy; `false`: no retries; or a policy of its own. */
  retry?: boolean | Partial<RetryPolicy>;
  /** Which errors are retried (overrides the pool's `retryIf`). Default: all. */
  retryIf?: RetryRule;
  /**
   * Moves the job in the queue by a bounded time: "highest" (+600 s), "high" (+60 s), "normal"
   * (the default), "low" (-60 s), "lowest" (-600 s), or `{ boostMs }` from -600,000 to 600,000.
   * The job sorts as if it became ready that much earlier (later, if negative), so it can be
   * overtaken only by jobs that became ready less than their boost after it: nothing starves.
   * Running jobs are never preempted.
   */
  priority?: Priority;
  /**
   * A concurrency key, e.g. a user or tenant id: at most the pool's `keyConcurrency` jobs with one
   * key run at once, and keys take turns, so one key's backlog does not hold up the others.
   */
  key?: string;
  /**
   * At most one live (pending or running) job per key in this pool; see {@link DedupeOptions}.
   * Single-job enqueues only. With it, enqueue returns `{ jobId, deduped }`.
   */
  dedupe?: DedupeOptions;
  /**
   * Trailing-edge debounce per key; see {@link DebounceOptions}. Single-job enqueues only, not
   * with `runAt`/`runAfter` or `dedupe`. With it, enqueue returns `{ jobId, deduped }`.
   */
  debounce?: DebounceOptions;
}

/**
 * What happens when a job with the same dedupe key is live (pending or running):
 * - `"reject"`: nothing is enqueued; you get the live job's id with `deduped: true`.
 * - `"replacePending"`: a pending job with the key (one that has not started) takes this
 *   enqueue's function, args, name, retry policy and onComplete, keeping its id and queue place
 *   (`runAt`/`runAfter`, if given, moves it). If only a running one exists, a new job is enqueued.
 * - `"queueOneAfterActive"`: as replacePending, and the key's jobs run one at a time (it sets the
 *   job's concurrency key to `"dedupe:" + key` with a limit of 1): while one runs, exactly one
 *   waits, the latest. Not with the `key` option.
 *
 * A job that started (running, or waiting out a retry's backoff) is never replaced; a replacement
 * keeps the job's concurrency `key` and `priority`. The key is
 * released when the job ends: succeeded, failed after its last attempt, or canceled.
 */
export interface DedupeOptions {
  /** The dedupe key, e.g. `"sync:" + userId`. Scoped to the pool; at most 1,024 characters. */
  key: string;
  /** Default: `"reject"`. */
  mode?: "reject" | "replacePending" | "queueOneAfterActive";
  /** A live job created more than this many ms ago no longer counts: a new job is enqueued. */
  ttlMs?: number;
}

/**
 * Trailing-edge debounce: the job runs `delayMs` after the latest enqueue with this key, with
 * that enqueue's args and onComplete, but no later than `maxWaitMs` after the burst's first
 * enqueue, so a steady stream still runs. Earlier enqueues of the burst return the same job id
 * (`deduped: true` from the second on); their onComplete is replaced. A job that already
 * started absorbs nothing: the next enqueue starts a new burst.
 */
export interface DebounceOptions {
  /** The debounce key, e.g. `"reindex:" + docId`. Scoped to the pool; separate from dedupe keys. */
  key: string;
  /** Quiet time after the latest enqueue before the job runs, in ms (>= 0). */
  delayMs: number;
  /** Longest a burst can postpone the job, from its first enqueue, in ms (>= delayMs). Required. */
  maxWaitMs: number;
}

/** What a single-job enqueue with `dedupe` or `debounce` returns. */
export interface DedupedEnqueue {
  /** The job that will run: a new one, or the live one this enqueue was merged into. */
  jobId: JobId;
  /** True when no job was inserted: an existing job was returned (reject) or took over this enqueue. */
  deduped: boolean;
}

/**
 * The return type of a single-job enqueue given options of type `O`: a `JobId` without
 * `dedupe`/`debounce`, a {@link DedupedEnqueue} with one, either when the type cannot tell.
 */
export type EnqueueReturn<O> = [O] extends [undefined]
  ? JobId
  : O extends { dedupe: object } | { debounce: object }
    ? DedupedEnqueue
    : // By keys, not `extends { dedupe?: undefined }`: TS's weak-type check would fail `{ retry: true }`.
      Extract<keyof O, "dedupe" | "debounce"> extends never
      ? JobId
      : JobId | DedupedEnqueue;

/** Status of a job; `null` when it does not exist or was cleaned up after retention. */
export type JobStatus = Infer<typeof vJobStatus>;

/** A pool's counts (see `Workpool.stats`). */
export type PoolStats = Infer<typeof vPoolStats>;
