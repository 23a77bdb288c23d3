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
}

/** Status of a job; `null` when it does not exist or was cleaned up after retention. */
export type JobStatus = Infer<typeof vJobStatus>;

/** A pool's counts (see `Workpool.stats`). */
export type PoolStats = Infer<typeof vPoolStats>;
