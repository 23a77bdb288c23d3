/**
 * `ActionRetrier`: run an action until it succeeds or gives up, with exponential backoff and
 * jitter. A run is a job in a work pool (default "retrier", up to 1,000 at once): same machinery,
 * same status, same exactly-once onComplete.
 */
import type { FunctionArgs, FunctionReturnType } from "convex/server";
import type { ComponentApi } from "../../component/_generated/component.js";
import { DEFAULT_RETRY_POLICY, MAX_ATTEMPTS_LIMIT, normalizeRetryPolicy } from "../../shared/backoff.js";
import { validateRetryRule, type RetryRule } from "../../shared/retryRules.js";
import { checkKeys, describe } from "../../shared/validate.js";
import { MAX_PARALLELISM } from "../../shared/limits.js";
import type { LogLevel, RetryPolicy } from "../../shared/validators.js";
import type { AnyRef, RunMutationCtx, RunQueryCtx } from "../ctx.js";
import { Workpool } from "../pool/workpool.js";
import type { EnqueueOptions, JobId, JobStatus } from "../pool/types.js";

/** A retrier run's id (it is the id of the job that carries it). */
export type RunId = JobId;

/** Options for `new ActionRetrier(component, options)`. All have defaults. */
export interface ActionRetrierOptions {
  /** Delay before the first retry, in ms. Default 250. */
  initialBackoffMs?: number;
  /** Growth factor between delays. Default 2. */
  base?: number;
  /** Failures allowed before giving up: a run makes at most maxFailures + 1 attempts. Default 4. */
  maxFailures?: number;
  /** Upper bound on one delay, in ms. Default 5 minutes. */
  maxBackoffMs?: number;
  /** Jitter: "full" (default), "proportional" or "none". */
  jitter?: RetryPolicy["jitter"];
  /** Which errors are retried. Default: all but NonRetryableError. */
  retryIf?: RetryRule;
  /** The pool runs go through. Default "retrier". */
  poolName?: string;
  /** Most runs executing at once (1 to 1,000). Default 1,000: in effect, every run starts when due. */
  maxParallelism?: number;
  /** How long finished runs are kept for `status`, in ms. Default one day. */
  retentionMs?: number;
  logLevel?: LogLevel;
}

/** Options for one run. */
export type RunOptions<C = unknown, R = unknown> = Pick<
  EnqueueOptions<C, R>,
  "onComplete" | "context" | "runAt" | "runAfter" | "retryIf"
>;

const RETRIER_OPTION_KEYS = [
  "initialBackoffMs",
  "base",
  "maxFailures",
  "maxBackoffMs",
  "jitter",
  "retryIf",
  "poolName",
  "maxParallelism",
  "retentionMs",
  "logLevel",
] as const satisfies readonly (keyof ActionRetrierOptions)[];
const RUN_OPTION_KEYS = ["onComplete", "context", "runAt", "runAfter", "retryIf"] as const satisfies readonly (keyof RunOptions)[];

/** Runs actions with retries; see the module comment. */
export class ActionRetrier {
  private readonly pool: Workpool;
  /** The retry policy every run uses (defaults filled in), e.g. to show users the schedule. */
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
    const maxFailures = options.maxFailures ?? DEFAULT_RETRY_POLICY.maxAttempts - 1;
    if (typeof maxFailures !== "number" || !Number.isInteger(maxFailures) || maxFailures < 0 || maxFailures >= MAX_ATTEMPTS_LIMIT) {
      throw new Error(`${where}: \`maxFailures\` must be an integer from 0 to ${MAX_ATTEMPTS_LIMIT - 1}, got ${describe(maxFailures)}.`);
    }
    const poolName = options.poolName ?? "retrier";
    if (typeof poolName !== "string" || poolName.length === 0) {
      throw new Error(`${where}: \`poolName\` must be a non-empty string (default "retrier"), got ${describe(poolName)}.`);
    }
    const maxParallelism = options.maxParallelism ?? MAX_PARALLELISM;
    if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > MAX_PARALLELISM) {
      throw new Error(`${where}: \`maxParallelism\` must be an integer from 1 to ${MAX_PARALLELISM}, got ${describe(maxParallelism)}.`);
    }
    // Validated here, so messages name the retrier's own options (maxFailures, not maxAttempts).
    this.policy = normalizeRetryPolicy(
      {
        maxAttempts: maxFailures + 1,
        initialBackoffMs: options.initialBackoffMs,
        base: options.base,
        maxBackoffMs: options.maxBackoffMs,
        jitter: options.jitter,
      },
      where,
    );
    if (options.retryIf !== undefined) validateRetryRule(options.retryIf, `${where}: retryIf`);
    this.pool = new Workpool(component, {
      name: poolName,
      maxParallelism,
      retentionMs: options.retentionMs,
      logLevel: options.logLevel,
      retry: this.policy,
      retryIf: options.retryIf,
      retryKeepsSlot: true,
    }).speakAs(`ActionRetrier "${poolName}"`, "runId", { enqueueAction: "run" });
  }

  /** Starts running `fn(args)` with retries. Returns the run's id. */
  run<F extends AnyRef<"action">, C = unknown>(
    ctx: RunMutationCtx,
    fn: F,
    args: FunctionArgs<F>,
    options?: RunOptions<C, FunctionReturnType<F>>,
  ): Promise<RunId> {
    checkKeys(options, RUN_OPTION_KEYS, "ActionRetrier.run options");
    return this.pool.enqueueAction(ctx, fn, args, { ...options, retry: true });
  }

  /** `run` with no options: `await retrier.runWithRetries(ctx, internal.x.y, args)`. */
  runWithRetries<F extends AnyRef<"action">>(ctx: RunMutationCtx, fn: F, args: FunctionArgs<F>): Promise<RunId> {
    return this.run(ctx, fn, args);
  }

  /** Like `run`, starting no earlier than `runAt` (ms since epoch). */
  runAt<F extends AnyRef<"action">, C = unknown>(
    ctx: RunMutationCtx,
    runAt: number,
    fn: F,
    args: FunctionArgs<F>,
    options?: Omit<RunOptions<C, FunctionReturnType<F>>, "runAt" | "runAfter">,
  ): Promise<RunId> {
    return this.run(ctx, fn, args, { ...options, runAt });
  }

  /** Like `run`, starting no earlier than `runAfter` ms from now. */
  runAfter<F extends AnyRef<"action">, C = unknown>(
    ctx: RunMutationCtx,
    runAfter: number,
    fn: F,
    args: FunctionArgs<F>,
    options?: Omit<RunOptions<C, FunctionReturnType<F>>, "runAt" | "runAfter">,
  ): Promise<RunId> {
    return this.run(ctx, fn, args, { ...options, runAfter });
  }

  /**
   * The run's status: pending (attempts so far, `readyAt` = when the next attempt is due, last
   * error), running, or finished with its result. `null` once cleaned up.
   */
  status(ctx: RunQueryCtx, runId: RunId): Promise<JobStatus | null> {
    return this.pool.status(ctx, runId);
  }

  /** Cancels the run: no further attempts; onComplete gets `canceled`. False if already finished. */
  cancel(ctx: RunMutationCtx, runId: RunId): Promise<boolean> {
    return this.pool.cancel(ctx, runId);
  }

  /** Deletes a finished run's record now instead of after the retention window. */
  cleanup(ctx: RunMutationCtx, runId: RunId): Promise<boolean> {
    return this.pool.cleanup(ctx, runId);
  }
}
