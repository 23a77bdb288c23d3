/**
 * `Workpool`: the app-side handle on one named pool of the convex-jobs component.
 */
import {
  createFunctionHandle,
  getFunctionName,
  type FunctionArgs,
  type FunctionReturnType,
  type GenericDataModel,
} from "convex/server";
import type { Validator } from "convex/values";
import type { ComponentApi } from "../../component/_generated/component.js";
import { normalizeRetryPolicy } from "../../shared/backoff.js";
import { DEFAULT_MAX_PARALLELISM, MAX_PARALLELISM } from "../../shared/limits.js";
import { RESULT_KINDS, type RetryPolicy } from "../../shared/validators.js";
import { validateRetryRule } from "../../shared/retryRules.js";
import type { AnyRef, RunMutationCtx, RunQueryCtx } from "../ctx.js";
import { defineOnComplete } from "./validators.js";
import type {
  EnqueueOptions,
  JobId,
  JobStatus,
  PoolConfig,
  PoolConfigUpdate,
  PoolStats,
  WorkpoolOptions,
} from "./types.js";

type Kind = "mutation" | "action" | "query";

/**
 * The pool used when `name` is not given: one per mount, as in `new Workpool(components.jobs,
 * { maxParallelism: 1 })`. The standalone retrier uses "retrier", so the two never share a queue.
 */
export const DEFAULT_POOL_NAME = "default";

/**
 * Internal: a class built on a Workpool (the ActionRetrier) passes its own name under this key,
 * so errors about its calls name it and not `Workpool "retrier"`. A symbol, so it is not an
 * option key users can see or mistype.
 */
export const OWNER_LABEL = Symbol("convex-jobs owner label");
type InternalOptions = WorkpoolOptions & { [OWNER_LABEL]?: string };

/**
 * A durable queue of mutations, actions and queries, run under a `maxParallelism` cap.
 *
 * ```ts
 * const pool = new Workpool(components.jobs, { name: "emails", maxParallelism: 5 });
 * await pool.enqueueAction(ctx, internal.emails.send, { to }, { onComplete: internal.emails.sent });
 * ```
 */
export class Workpool {
  /** The pool's validated options. */
  readonly options: Readonly<WorkpoolOptions & { name: string; maxParallelism: number }>;
  private readonly retryPolicy: Required<RetryPolicy> | undefined;
  /** How enqueue-time errors name this pool: `Workpool "emails"`, or its owner's name (the retrier). */
  private readonly label: string;

  /**
   * @param component `components.jobs` (or the name you mounted the component under)
   * @param options the pool's cap, name (default: the mount's one default pool) and defaults;
   *   validated here, so mistakes fail at import
   */
  constructor(
    public readonly component: ComponentApi,
    options: WorkpoolOptions = {},
  ) {
    if (options?.name !== undefined && (typeof options.name !== "string" || options.name.length === 0)) {
      throw new Error(
        'new Workpool(component, options): `options.name` must be a non-empty string, e.g. "emails", or left out for the default pool.',
      );
    }
    options = {
      ...options,
      name: options?.name ?? DEFAULT_POOL_NAME,
      maxParallelism: options?.maxParallelism ?? DEFAULT_MAX_PARALLELISM,
    };
    const p = options.maxParallelism!;
    if (!Number.isInteger(p) || p < 1 || p > MAX_PARALLELISM) {
      throw new Error(
        `new Workpool: \`maxParallelism\` for pool "${options.name}" must be an integer from 1 to ${MAX_PARALLELISM}, got ${p}.`,
      );
    }
    if (options.retentionMs !== undefined && (!Number.isFinite(options.retentionMs) || options.retentionMs < 0)) {
      throw new Error(`new Workpool: \`retentionMs\` for pool "${options.name}" must be a number >= 0, got ${options.retentionMs}.`);
    }
    if (options.retry !== undefined && options.defaultRetryBehavior !== undefined) {
      throw new Error(`new Workpool: pool "${options.name}" got both \`retry\` and \`defaultRetryBehavior\` (the same option under the official name): pass one.`);
    }
    options = { ...options, retry: options.retry ?? options.defaultRetryBehavior };
    this.retryPolicy = options.retry ? normalizeRetryPolicy(options.retry, `Workpool "${options.name}" retry`) : undefined;
    if (options.retryIf) validateRetryRule(options.retryIf, `Workpool "${options.name}" retryIf`);
    this.options = { ...options, name: options.name!, maxParallelism: p };
    this.label = (options as InternalOptions)[OWNER_LABEL] ?? `Workpool "${options.name}"`;
  }

  /** Enqueues a mutation. Transactional when called from a mutation. */
  enqueueMutation<F extends AnyRef<"mutation">, C = unknown>(
    ctx: RunMutationCtx,
    fn: F,
    args: FunctionArgs<F>,
    options?: EnqueueOptions<C, FunctionReturnType<F>>,
  ): Promise<JobId> {
    return this.enqueueOne(ctx, "mutation", fn, args, options);
  }

  /** Enqueues an action. Actions are not retried unless `retry` (or the pool's default) says so. */
  enqueueAction<F extends AnyRef<"action">, C = unknown>(
    ctx: RunMutationCtx,
    fn: F,
    args: FunctionArgs<F>,
    options?: EnqueueOptions<C, FunctionReturnType<F>>,
  ): Promise<JobId> {
    return this.enqueueOne(ctx, "action", fn, args, options);
  }

  /** Enqueues a query; its return value reaches `status` and onComplete. */
  enqueueQuery<F extends AnyRef<"query">, C = unknown>(
    ctx: RunMutationCtx,
    fn: F,
    args: FunctionArgs<F>,
    options?: EnqueueOptions<C, FunctionReturnType<F>>,
  ): Promise<JobId> {
    return this.enqueueOne(ctx, "query", fn, args, options);
  }

  /** Enqueues one mutation job per element of `argsArray` (at most 1,000), in one transaction. */
  enqueueMutationBatch<F extends AnyRef<"mutation">, C = unknown>(
    ctx: RunMutationCtx,
    fn: F,
    argsArray: FunctionArgs<F>[],
    options?: EnqueueOptions<C, FunctionReturnType<F>>,
  ): Promise<JobId[]> {
    return this.enqueueMany(ctx, "mutation", fn, argsArray, options);
  }

  /** Enqueues one action job per element of `argsArray` (at most 1,000). */
  enqueueActionBatch<F extends AnyRef<"action">, C = unknown>(
    ctx: RunMutationCtx,
    fn: F,
    argsArray: FunctionArgs<F>[],
    options?: EnqueueOptions<C, FunctionReturnType<F>>,
  ): Promise<JobId[]> {
    return this.enqueueMany(ctx, "action", fn, argsArray, options);
  }

  /** Enqueues one query job per element of `argsArray` (at most 1,000). */
  enqueueQueryBatch<F extends AnyRef<"query">, C = unknown>(
    ctx: RunMutationCtx,
    fn: F,
    argsArray: FunctionArgs<F>[],
    options?: EnqueueOptions<C, FunctionReturnType<F>>,
  ): Promise<JobId[]> {
    return this.enqueueMany(ctx, "query", fn, argsArray, options);
  }

  /** A job's status, or `null` if there is no such job (or it was cleaned up after retention). */
  async status(ctx: RunQueryCtx, jobId: JobId): Promise<JobStatus | null> {
    return await ctx.runQuery(this.component.pool.status.status, { jobId });
  }

  /** Statuses of several jobs, in the same order. */
  async statusBatch(ctx: RunQueryCtx, jobIds: JobId[]): Promise<(JobStatus | null)[]> {
    return await ctx.runQuery(this.component.pool.status.statusBatch, { jobIds });
  }

  /**
   * Cancels a job. A pending job never starts; a running job's result is discarded. Either way
   * onComplete receives `{ kind: "canceled" }`. Returns false if the job had already finished.
   */
  async cancel(ctx: RunMutationCtx, jobId: JobId): Promise<boolean> {
    return await ctx.runMutation(this.component.pool.cancel.cancel, { jobId });
  }

  /** Cancels every job of this pool that exists now (pending ones in background batches). */
  async cancelAll(ctx: RunMutationCtx): Promise<void> {
    await ctx.runMutation(this.component.pool.cancel.cancelAll, { pool: this.options.name });
  }

  /**
   * Deletes a finished job's record now instead of after the retention window. Returns false if
   * the job is not finished (or already gone).
   */
  async cleanup(ctx: RunMutationCtx, jobId: JobId): Promise<boolean> {
    return await ctx.runMutation(this.component.pool.retention.cleanup, { jobId });
  }

  /**
   * Changes the pool's cap, retention or log level now, without a deploy. The values set win over
   * the constructor's options (of every `Workpool` with this name) until `configure(ctx, { reset:
   * true })`. Raising `maxParallelism` starts waiting jobs at once. Returns the config in effect.
   */
  async configure(ctx: RunMutationCtx, update: PoolConfigUpdate): Promise<PoolConfig> {
    const { reset, ...set } = checkConfigUpdate(update, this.options.name);
    return await ctx.runMutation(this.component.pool.config.configure, {
      pool: this.poolConfig(),
      set,
      reset,
    });
  }

  /** Counts of pending, running, succeeded, failed and canceled jobs. Cheap: a few documents. */
  async stats(ctx: RunQueryCtx): Promise<PoolStats> {
    return await ctx.runQuery(this.component.pool.status.stats, { pool: this.options.name });
  }

  /**
   * Defines an onComplete mutation with typed, validated args: see {@link defineOnComplete}.
   * Written as a method too, as in the official workpool: `pool.defineOnComplete<DataModel>({...})`.
   */
  defineOnComplete<
    DataModel extends GenericDataModel = GenericDataModel,
    VContext extends Validator<any, "required", any> = Validator<any, "required", any>,
    VReturns extends Validator<any, "required", any> = Validator<any, "required", any>,
  >(definition: Parameters<typeof defineOnComplete<DataModel, VContext, VReturns>>[0]) {
    return defineOnComplete<DataModel, VContext, VReturns>(definition);
  }

  private async enqueueOne(
    ctx: RunMutationCtx,
    kind: Kind,
    fn: AnyRef<Kind>,
    args: unknown,
    options: EnqueueOptions<any, any> | undefined,
  ): Promise<JobId> {
    const [id] = await this.enqueueMany(ctx, kind, fn, [args], options);
    return id;
  }

  private async enqueueMany(
    ctx: RunMutationCtx,
    kind: Kind,
    fn: AnyRef<Kind>,
    argsArray: unknown[],
    options: EnqueueOptions<any, any> = {},
  ): Promise<JobId[]> {
    if (!Array.isArray(argsArray)) {
      throw new Error(`${this.label}: batch enqueue takes an array of args objects.`);
    }
    const runAt = resolveRunAt(options, this.label);
    if (options.retryIf) validateRetryRule(options.retryIf, `${this.label} enqueue retryIf`);
    const retry = this.resolveRetry(kind, options.retry);
    if (options.name !== undefined && (typeof options.name !== "string" || options.name.length === 0)) {
      throw new Error(`${this.label} enqueue: \`name\` must be a non-empty string, got ${JSON.stringify(options.name)}.`);
    }
    const excludeKinds = this.excludeKinds(options.onCompleteExcludeKinds);
    const shared = {
      kind,
      name: options.name,
      fnHandle: await createFunctionHandle(fn),
      fnName: getFunctionName(fn),
      runAt,
      retry,
      retryIf: retry ? (options.retryIf ?? this.options.retryIf) : undefined,
      onComplete: options.onComplete
        ? {
            fnHandle: await createFunctionHandle(options.onComplete),
            context: options.context ?? null,
            excludeKinds,
          }
        : undefined,
    };
    const ids = await ctx.runMutation(this.component.pool.enqueue.enqueue, {
      pool: this.poolConfig(),
      jobs: argsArray.map((args) => ({ ...shared, args: args ?? {} })),
    });
    return ids as JobId[];
  }

  /** Validates `onCompleteExcludeKinds`; an empty list is the same as none. */
  private excludeKinds(kinds: EnqueueOptions["onCompleteExcludeKinds"]) {
    if (kinds === undefined) return undefined;
    const bad = !Array.isArray(kinds) ? kinds : kinds.find((k) => !RESULT_KINDS.includes(k));
    if (bad !== undefined) {
      throw new Error(
        `${this.label} enqueue: \`onCompleteExcludeKinds\` must be an array of ${RESULT_KINDS.map((k) => `"${k}"`).join(", ")}; got ${JSON.stringify(bad)}.`,
      );
    }
    return kinds.length > 0 ? [...new Set(kinds)] : undefined;
  }

  /** The pool's options as the component stores them. */
  private poolConfig() {
    return {
      name: this.options.name,
      maxParallelism: this.options.maxParallelism,
      retentionMs: this.options.retentionMs,
      logLevel: this.options.logLevel,
      retry: this.retryPolicy,
    };
  }

  private resolveRetry(kind: Kind, retry: EnqueueOptions["retry"]): Required<RetryPolicy> | null {
    const where = `${this.label} enqueue \`retry\``;
    if (retry === false) return null;
    if (retry === true) return this.retryPolicy ?? normalizeRetryPolicy(undefined, where);
    if (retry && typeof retry === "object") return normalizeRetryPolicy({ ...this.retryPolicy, ...retry }, where);
    if (retry !== undefined) throw new Error(`${where} must be true, false or a policy object, got ${String(retry)}.`);
    if (kind === "action" && this.options.retryActionsByDefault) {
      return this.retryPolicy ?? normalizeRetryPolicy(undefined, where);
    }
    return null;
  }
}

/** Checks `configure`'s argument's shape; the component checks the values' ranges. */
function checkConfigUpdate(update: PoolConfigUpdate, pool: string): PoolConfigUpdate {
  const where = `Workpool "${pool}" configure`;
  if (typeof update !== "object" || update === null) throw new Error(`${where}: pass an object, e.g. { maxParallelism: 5 }.`);
  for (const key of ["maxParallelism", "retentionMs"] as const) {
    if (update[key] !== undefined && typeof update[key] !== "number") {
      throw new Error(`${where}: \`${key}\` must be a number, got ${JSON.stringify(update[key])}.`);
    }
  }
  if (update.reset !== undefined && typeof update.reset !== "boolean") {
    throw new Error(`${where}: \`reset\` must be true or false, got ${JSON.stringify(update.reset)}.`);
  }
  const { maxParallelism, retentionMs, logLevel, reset } = update;
  return { maxParallelism, retentionMs, logLevel, reset };
}

function resolveRunAt(options: EnqueueOptions<any, any>, label: string): number | undefined {
  const { runAt, runAfter } = options;
  if (runAt !== undefined && runAfter !== undefined) {
    throw new Error(`${label}: pass either \`runAt\` or \`runAfter\`, not both.`);
  }
  if (runAt !== undefined) {
    if (!Number.isFinite(runAt)) throw new Error(`${label}: \`runAt\` must be a timestamp in ms, got ${runAt}.`);
    return runAt;
  }
  if (runAfter !== undefined) {
    if (!Number.isFinite(runAfter) || runAfter < 0) {
      throw new Error(`${label}: \`runAfter\` must be a number of ms >= 0, got ${runAfter}.`);
    }
    return Date.now() + runAfter;
  }
  return undefined;
}
