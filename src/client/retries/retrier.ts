/**
 * `ActionRetrier`: run an action until it succeeds or gives up, with exponential backoff and
 * jitter. A run is a job in a work pool (default "retrier", up to 1,000 at once): same machinery,
 * same status, same exactly-once onComplete.
 */
import type { FunctionArgs, FunctionReturnType } from "convex/server";
import { v, type VString } from "convex/values";
import type { ComponentApi } from "../../component/_generated/component.js";
import { DEFAULT_RETRY_POLICY, MAX_ATTEMPTS_LIMIT, normalizeRetryPolicy, stripUndefined } from "../../shared/backoff.js";
import { MAX_PARALLELISM } from "../../shared/limits.js";
import type { CallbackShape } from "../../shared/compat.js";
import { validateRetryRule, type RetryRule } from "../../shared/retryRules.js";
import { vJobResult, vJobStatus, type JobResult, type LogLevel, type RetryPolicy } from "../../shared/validators.js";
import { checkKeys, describe } from "../../shared/validate.js";
import type { AnyRef, RunMutationCtx, RunQueryCtx } from "../ctx.js";
import { Workpool } from "../pool/workpool.js";
import type { EnqueueOptions, JobId, JobStatus } from "../pool/types.js";

/** A retrier run's id (it is the id of the job that carries it). */
export type RunId = JobId;

/** Validator for a `RunId` argument (the official retrier's name); the id is a string. */
export const runIdValidator = v.string() as VString<RunId>;
/** A run's final result: `{ kind: "success", returnValue } | { kind: "failed", error, data? } | { kind: "canceled" }`. */
export type RunResult<Returns = unknown> = JobResult<Returns>;
/** Validator for a run's result (the official retrier's name; note our field is `kind`). */
export const runResultValidator = vJobResult;
/** A run's status: the same shape as a pool job's (`state`: pending, running or finished). */
export type RunStatus = JobStatus;
/** Validator for a run's status. */
export const vRunStatus = vJobStatus;

/** Finished runs are kept this long by default: 7 days, as the official action retrier. */
export const RETRIER_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * A retrier's backoff, in the retrier's terms: `maxFailures` is failures allowed before giving
 * up, so a run makes at most `maxFailures + 1` attempts. `maxAttempts` (the pool's name for the
 * same limit: `maxAttempts = maxFailures + 1`) is accepted instead; pass one, not both.
 */
export interface RetrierBackoff {
  /** Delay before the first retry, in ms. Default 250. */
  initialBackoffMs?: number;
  /** Growth factor between delays. Default 2. */
  base?: number;
  /** Failures allowed before giving up: a run makes at most maxFailures + 1 attempts. Default 4. */
  maxFailures?: number;
  /** Attempts in all, the first included: the same limit as `maxFailures + 1`. */
  maxAttempts?: number;
  /** Upper bound on one delay, in ms. Default 5 minutes. */
  maxBackoffMs?: number;
  /** Jitter: "full" (default), "proportional" or "none". */
  jitter?: RetryPolicy["jitter"];
}

/** Options for `new ActionRetrier(component, options)`. All have defaults. */
export interface ActionRetrierOptions extends RetrierBackoff {
  /** Which errors are retried. Default: all but NonRetryableError. */
  retryIf?: RetryRule;
  /** The pool runs go through. Default "retrier". */
  poolName?: string;
  /** Most runs executing at once (1 to 1,000). Default 1,000: in effect, every run starts when due. */
  maxParallelism?: number;
  /** How long finished runs are kept for `status`, in ms. Default 7 days (as the official retrier). */
  retentionMs?: number;
  logLevel?: LogLevel;
}

/** Options for one run. Backoff fields given here override the retrier's for this run. */
export type RunOptions<C = unknown, R = unknown> = Pick<
  EnqueueOptions<C, R>,
  "onComplete" | "context" | "runAt" | "runAfter" | "retryIf" | "name" | "onCompleteExcludeKinds"
> &
  RetrierBackoff;

const BACKOFF_KEYS = ["initialBackoffMs", "base", "maxFailures", "maxAttempts", "maxBackoffMs", "jitter"] as const;

const RETRIER_OPTION_KEYS = [
  "initialBackoffMs",
  "base",
  "maxFailures",
  "maxAttempts",
  "maxBackoffMs",
  "jitter",
  "retryIf",
  "poolName",
  "maxParallelism",
  "retentionMs",
  "logLevel",
] as const satisfies readonly (keyof ActionRetrierOptions)[];
const RUN_OPTION_KEYS = [
  "onComplete",
  "context",
  "runAt",
  "runAfter",
  "retryIf",
  "name",
  "onCompleteExcludeKinds",
  ...BACKOFF_KEYS,
] as const satisfies readonly (keyof RunOptions)[];

/** Runs actions with retries; see the module comment. */
export class ActionRetrier {
  private readonly pool: Workpool;
  /** The retry policy runs use unless they override it (defaults filled in), e.g. to show users the schedule. */
  readonly policy: Required<RetryPolicy>;

  /**
   * @param component `components.jobs`
   * @param options backoff and pool settings; validated here
   */
  constructor(component: ComponentApi, options: ActionRetrierOptions = {}) {
    const where = "new ActionRetrier";
    if (typeof component !== "object" || component === null) {
      throw new Error(
        `${where}: \`component\` is ${describe(component)}: pass the mounted component, e.g. new ActionRetrier(components.jobs, { maxFailures: 4 }) ` +
          `with \`components\` from "./_generated/api".`,
      );
    }
    checkKeys(options, RETRIER_OPTION_KEYS, where);
    options ??= {};
    // Validated here, so messages name the retrier's own options (maxFailures, not maxAttempts).
    this.policy = retrierPolicy(options, undefined, where);
    const poolName = options.poolName ?? "retrier";
    if (typeof poolName !== "string" || poolName.length === 0) {
      throw new Error(`${where}: \`poolName\` must be a non-empty string (default "retrier"), got ${describe(poolName)}.`);
    }
    const maxParallelism = options.maxParallelism ?? MAX_PARALLELISM;
    if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > MAX_PARALLELISM) {
      throw new Error(`${where}: \`maxParallelism\` must be an integer from 1 to ${MAX_PARALLELISM}, got ${describe(maxParallelism)}.`);
    }
    const r = options.retentionMs;
    if (r !== undefined && (typeof r !== "number" || !Number.isFinite(r) || r < 0)) {
      throw new Error(`${where}: \`retentionMs\` must be a number of ms >= 0, got ${describe(r)}.`);
    }
    if (options.retryIf !== undefined) validateRetryRule(options.retryIf, `${where}: retryIf`);
    this.pool = new Workpool(component, {
      name: poolName,
      maxParallelism,
      retentionMs: r ?? RETRIER_RETENTION_MS,
      logLevel: options.logLevel,
      retry: this.policy,
      retryIf: options.retryIf,
      retryKeepsSlot: true,
    }).speakAs(`ActionRetrier "${poolName}"`, "runId", { enqueueAction: "run" });
  }

  /**
   * Starts running `fn(args)` with retries. Returns the run's id.
   * @param ctx a mutation or action context (`ctx.runMutation` is used); from a mutation, the run starts only if the mutation commits
   * @param fn the action to run, e.g. `internal.weather.callApi`
   * @param args its arguments
   * @param options `onComplete` and its `context`, `runAt`/`runAfter`, `retryIf`, `name`, and backoff options that override the retrier's for this run
   * @returns the run's id, for `status`, `cancel` and `cleanup`
   */
  run<F extends AnyRef<"action">, C = unknown>(
    ctx: RunMutationCtx,
    fn: F,
    args: FunctionArgs<F>,
    options?: RunOptions<C, FunctionReturnType<F>>,
  ): Promise<RunId> {
    checkKeys(options, RUN_OPTION_KEYS, "ActionRetrier.run options");
    const enqueueOptions: Record<string, unknown> = { ...options };
    for (const key of BACKOFF_KEYS) delete enqueueOptions[key];
    const overridden = options !== undefined && BACKOFF_KEYS.some((k) => options[k] !== undefined);
    const retry = overridden ? retrierPolicy(options, this.policy, "ActionRetrier run") : true;
    return this.pool.enqueueAction(ctx, fn, args, { ...enqueueOptions, retry });
  }

  /**
   * `run` with no options: `await retrier.runWithRetries(ctx, internal.x.y, args)`.
   * @param ctx a mutation or action context
   * @param fn the action to run
   * @param args its arguments
   * @returns the run's id
   */
  runWithRetries<F extends AnyRef<"action">>(ctx: RunMutationCtx, fn: F, args: FunctionArgs<F>): Promise<RunId> {
    return this.run(ctx, fn, args);
  }

  /**
   * Like `run`, starting no earlier than `runAt` (ms since epoch).
   * @param ctx a mutation or action context
   * @param runAt when the first attempt may start, in ms since the epoch
   * @param fn the action to run
   * @param args its arguments
   * @param options as for `run`, without `runAt`/`runAfter`
   * @returns the run's id
   */
  runAt<F extends AnyRef<"action">, C = unknown>(
    ctx: RunMutationCtx, runAt: number, fn: F, args: FunctionArgs<F>, options?: Omit<RunOptions<C, FunctionReturnType<F>>, "runAt" | "runAfter">,
  ): Promise<RunId> {
    return this.run(ctx, fn, args, { ...options, runAt });
  }

  /**
   * Like `run`, starting no earlier than `runAfter` ms from now.
   * @param ctx a mutation or action context
   * @param runAfter delay before the first attempt may start, in ms
   * @param fn the action to run
   * @param args its arguments
   * @param options as for `run`, without `runAt`/`runAfter`
   * @returns the run's id
   */
  runAfter<F extends AnyRef<"action">, C = unknown>(
    ctx: RunMutationCtx, runAfter: number, fn: F, args: FunctionArgs<F>, options?: Omit<RunOptions<C, FunctionReturnType<F>>, "runAt" | "runAfter">,
  ): Promise<RunId> {
    return this.run(ctx, fn, args, { ...options, runAfter });
  }

  /**
   * The run's status: pending (attempts so far, `readyAt` = when the next attempt is due, last
   * error), running, or finished with its result. `null` once cleaned up.
   * @param ctx a query, mutation or action context
   * @param runId an id `run` returned
   * @returns the status, or null once the run is cleaned up (or the id is another pool's)
   */
  status(ctx: RunQueryCtx, runId: RunId): Promise<RunStatus | null> {
    return this.pool.status(ctx, runId);
  }

  /**
   * Cancels the run: no further attempts; onComplete gets `canceled`. False if already finished.
   * @param ctx a mutation or action context
   * @param runId an id `run` returned
   * @returns true if this call canceled it; false if it had finished, is gone, or is another pool's
   */
  cancel(ctx: RunMutationCtx, runId: RunId): Promise<boolean> {
    return this.pool.cancel(ctx, runId);
  }

  /**
   * Deletes a finished run's record now instead of after the retention window.
   * @param ctx a mutation or action context
   * @param runId an id `run` returned
   * @returns true if a finished run's record was deleted; false if it has not finished (cancel it first), is gone, or is another pool's
   */
  cleanup(ctx: RunMutationCtx, runId: RunId): Promise<boolean> {
    return this.pool.cleanup(ctx, runId);
  }

  /**
   * Sends onComplete the official retrier's args, `{ runId, result: { type, ... } }`, for the
   * compat client `convex-jobs/action-retrier` (see src/shared/compat.ts). Internal.
   * @internal
   */
  sendCallbackArgsAs(shape: CallbackShape): this {
    this.pool.sendCallbackArgsAs(shape);
    return this;
  }
}

/**
 * The full retry policy from a retrier's backoff options (over `base`, the retrier's own policy,
 * for a run), with errors in the retrier's own option names.
 */
function retrierPolicy(b: RetrierBackoff, base: Required<RetryPolicy> | undefined, where: string): Required<RetryPolicy> {
  if (b.maxFailures !== undefined && b.maxAttempts !== undefined) {
    throw new Error(`${where}: pass \`maxFailures\` or \`maxAttempts\` (= maxFailures + 1), not both.`);
  }
  let maxAttempts = b.maxAttempts;
  if (b.maxFailures !== undefined) {
    const f = b.maxFailures;
    if (typeof f !== "number" || !Number.isInteger(f) || f < 0 || f > MAX_ATTEMPTS_LIMIT - 1) {
      throw new Error(`${where}: \`maxFailures\` must be an integer from 0 to ${MAX_ATTEMPTS_LIMIT - 1}, got ${describe(f)}.`);
    }
    maxAttempts = f + 1;
  }
  const { initialBackoffMs, base: growth, maxBackoffMs, jitter } = b;
  const given = stripUndefined({ maxAttempts, initialBackoffMs, base: growth, maxBackoffMs, jitter });
  return normalizeRetryPolicy({ ...(base ?? DEFAULT_RETRY_POLICY), ...given }, where);
}
