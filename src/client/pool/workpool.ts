/**
 * `Workpool`: the app-side handle on one named pool of the convex-jobs component.
 */
import {
  createFunctionHandle,
  type FunctionArgs,
  type FunctionReturnType,
  type GenericDataModel,
} from "convex/server";
import type { Validator } from "convex/values";
import type { ComponentApi } from "../../component/_generated/component.js";
import { normalizeRetryPolicy } from "../../shared/backoff.js";
import { DEFAULT_MAX_PARALLELISM, MAX_PARALLELISM } from "../../shared/limits.js";
import type { RetryPolicy } from "../../shared/validators.js";
import type { CallbackShape } from "../../shared/compat.js";
import { validateRetryRule } from "../../shared/retryRules.js";
import {
  checkBoolean,
  checkFunctionRef,
  checkKeys,
  checkMutationCtx,
  checkOneOf,
  checkQueryCtx,
  describe,
} from "../../shared/validate.js";
import type { AnyRef, RunMutationCtx, RunQueryCtx } from "../ctx.js";
import {
  ENQUEUE_OPTION_KEYS,
  LOG_LEVELS,
  WORKPOOL_OPTION_KEYS,
  checkConfigUpdate,
  checkExcludeKinds,
  checkIdArg,
  checkJobData,
  named,
  resolveRunAt,
} from "./options.js";
import { defineOnComplete } from "./validators.js";
import { checkKeyArg, checkPoolFlow, jobFlow } from "./flow.js";
import { checkKeyedOptions, oneResult, readResponse } from "./dedupe.js";
import type {
  DedupedEnqueue,
  EnqueueOptions,
  EnqueueReturn,
  JobId,
  JobStatus,
  KeyStats,
  PoolConfig,
  PoolConfigUpdate,
  PoolInspection,
  PoolStats,
  WorkpoolOptions,
} from "./types.js";

type Kind = "mutation" | "action" | "query";
/**
 * Per mutation ctx (one transaction), per pool: the earliest readyAt an enqueue has already made
 * sure a dispatch run will see. Weak, so it is dropped with the ctx. Not kept for action ctxs,
 * whose enqueues are separate transactions (a run they scheduled may already be over).
 */
const dispatchGuarantees = new WeakMap<object, Map<string, number>>();
/**
 * The pool used when `name` is not given: one per mount, as in `new Workpool(components.jobs,
 * { maxParallelism: 1 })`. The standalone retrier uses "retrier", so the two never share a queue.
 */
export const DEFAULT_POOL_NAME = "default";

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
  /** What ids are called in messages ("runId" when an ActionRetrier owns the pool). */
  private idName = "jobId";
  /** Who is speaking in messages, e.g. `Workpool "emails"`, and the owner's names for methods. */
  private owner = "";
  private methodNames: Record<string, string> = {};
  /** The args onComplete receives: ours unless a compat client asked for the official ones. */
  private callbackShape: CallbackShape | undefined;
  private readonly retryPolicy: Required<RetryPolicy> | undefined;

  /**
   * @param component `components.jobs` (or the name you mounted the component under)
   * @param options the pool's cap, name (default: the mount's one default pool) and defaults;
   *   validated here, so mistakes fail at import
   */
  constructor(
    public readonly component: ComponentApi,
    options: WorkpoolOptions = {},
  ) {
    if (typeof component !== "object" || component === null) {
      throw new Error(
        `new Workpool: \`component\` is ${describe(component)}: pass the mounted component, e.g. new Workpool(components.jobs, { maxParallelism: 5 }) ` +
          `with \`components\` from "./_generated/api" (use the name you mounted it under in convex.config.ts).`,
      );
    }
    checkKeys(options, WORKPOOL_OPTION_KEYS, "new Workpool");
    if (options?.name !== undefined && (typeof options.name !== "string" || options.name.length === 0)) {
      throw new Error(
        `new Workpool(component, options): \`options.name\` must be a non-empty string, e.g. "emails", or left out for the default pool; got ${describe(options.name)}.`,
      );
    }
    options = {
      ...options,
      name: options?.name ?? DEFAULT_POOL_NAME,
      maxParallelism: options?.maxParallelism ?? DEFAULT_MAX_PARALLELISM,
    };
    const where = `new Workpool("${options.name}")`;
    const p = options.maxParallelism!;
    if (!Number.isInteger(p) || p < 1 || p > MAX_PARALLELISM) {
      throw new Error(
        `new Workpool: \`maxParallelism\` for pool "${options.name}" must be an integer from 1 to ${MAX_PARALLELISM}, got ${describe(p)}.`,
      );
    }
    if (options.retentionMs !== undefined && (typeof options.retentionMs !== "number" || !Number.isFinite(options.retentionMs) || options.retentionMs < 0)) {
      throw new Error(`new Workpool: \`retentionMs\` for pool "${options.name}" must be a number >= 0, got ${describe(options.retentionMs)}.`);
    }
    checkOneOf(options.logLevel, LOG_LEVELS, "logLevel", where);
    checkBoolean(options.retryActionsByDefault, "retryActionsByDefault", where);
    checkBoolean(options.retryKeepsSlot, "retryKeepsSlot", where);
    checkPoolFlow(options, where);
    if (options.retry !== undefined && (typeof options.retry !== "object" || options.retry === null)) {
      throw new Error(`${where}: \`retry\` must be a retry policy object like { maxAttempts: 5 }, got ${describe(options.retry)}.`);
    }
    if (options.retry !== undefined && options.defaultRetryBehavior !== undefined) {
      throw new Error(`new Workpool: pool "${options.name}" got both \`retry\` and \`defaultRetryBehavior\` (the same option under the official name): pass one.`);
    }
    options = { ...options, retry: options.retry ?? options.defaultRetryBehavior };
    this.retryPolicy = options.retry ? normalizeRetryPolicy(options.retry, `Workpool "${options.name}" retry`) : undefined;
    if (options.retryIf !== undefined) validateRetryRule(options.retryIf, `Workpool "${options.name}" retryIf`);
    this.options = { ...options, name: options.name!, maxParallelism: p };
    this.owner = `Workpool "${options.name}"`;
  }

  /**
   * Enqueues a mutation. Transactional when called from a mutation.
   * @param ctx a mutation or action context; from a mutation, the job exists only if the mutation commits
   * @param fn the mutation to run, e.g. `internal.counters.bump`
   * @param args its arguments
   * @param options see {@link EnqueueOptions}: a `name`, when to start, `onComplete` and its `context`, retries
   * @returns the job's id, for `status`, `cancel` and `cleanup`; with `dedupe` or `debounce`, `{ jobId, deduped }`
   */
  enqueueMutation<F extends AnyRef<"mutation">, C = unknown, O extends EnqueueOptions<C, FunctionReturnType<F>> | undefined = undefined>(
    ctx: RunMutationCtx,
    fn: F,
    args: FunctionArgs<F>,
    options?: O & EnqueueOptions<C, FunctionReturnType<F>>,
  ): Promise<EnqueueReturn<O>> {
    return this.enqueueOne(ctx, "mutation", fn, args, options, "enqueueMutation") as Promise<EnqueueReturn<O>>;
  }

  /**
   * Enqueues an action. Actions are not retried unless `retry` (or the pool's default) says so.
   * @param ctx a mutation or action context; from a mutation, the job exists only if the mutation commits
   * @param fn the action to run, e.g. `internal.emails.send`
   * @param args its arguments
   * @param options see {@link EnqueueOptions}: a `name`, when to start, `onComplete` and its `context`, retries
   * @returns the job's id, for `status`, `cancel` and `cleanup`; with `dedupe` or `debounce`, `{ jobId, deduped }`
   */
  enqueueAction<F extends AnyRef<"action">, C = unknown, O extends EnqueueOptions<C, FunctionReturnType<F>> | undefined = undefined>(
    ctx: RunMutationCtx,
    fn: F,
    args: FunctionArgs<F>,
    options?: O & EnqueueOptions<C, FunctionReturnType<F>>,
  ): Promise<EnqueueReturn<O>> {
    return this.enqueueOne(ctx, "action", fn, args, options, "enqueueAction") as Promise<EnqueueReturn<O>>;
  }

  /**
   * Enqueues a query; its return value reaches `status` and onComplete.
   * @param ctx a mutation or action context; from a mutation, the job exists only if the mutation commits
   * @param fn the query to run, e.g. `internal.reports.total`
   * @param args its arguments
   * @param options see {@link EnqueueOptions}: a `name`, when to start, `onComplete` and its `context`, retries
   * @returns the job's id, for `status`, `cancel` and `cleanup`; with `dedupe` or `debounce`, `{ jobId, deduped }`
   */
  enqueueQuery<F extends AnyRef<"query">, C = unknown, O extends EnqueueOptions<C, FunctionReturnType<F>> | undefined = undefined>(
    ctx: RunMutationCtx,
    fn: F,
    args: FunctionArgs<F>,
    options?: O & EnqueueOptions<C, FunctionReturnType<F>>,
  ): Promise<EnqueueReturn<O>> {
    return this.enqueueOne(ctx, "query", fn, args, options, "enqueueQuery") as Promise<EnqueueReturn<O>>;
  }

  /**
   * Enqueues one mutation job per element of `argsArray` (at most 1,000), in one transaction.
   * @param ctx a mutation or action context; from a mutation, the job exists only if the mutation commits
   * @param fn the mutation every job runs
   * @param argsArray one element per job (at most 1,000)
   * @param options shared by every job: as for the single enqueue
   * @returns the jobs' ids, in the order of `argsArray`
   */
  enqueueMutationBatch<F extends AnyRef<"mutation">, C = unknown>(
    ctx: RunMutationCtx,
    fn: F,
    argsArray: FunctionArgs<F>[],
    options?: EnqueueOptions<C, FunctionReturnType<F>>,
  ): Promise<JobId[]> {
    return this.enqueueMany(ctx, "mutation", fn, argsArray, options, "enqueueMutationBatch").then((r) => r.ids);
  }

  /**
   * Enqueues one action job per element of `argsArray` (at most 1,000).
   * @param ctx a mutation or action context; from a mutation, the job exists only if the mutation commits
   * @param fn the action every job runs
   * @param argsArray one element per job (at most 1,000)
   * @param options shared by every job: as for the single enqueue
   * @returns the jobs' ids, in the order of `argsArray`
   */
  enqueueActionBatch<F extends AnyRef<"action">, C = unknown>(
    ctx: RunMutationCtx,
    fn: F,
    argsArray: FunctionArgs<F>[],
    options?: EnqueueOptions<C, FunctionReturnType<F>>,
  ): Promise<JobId[]> {
    return this.enqueueMany(ctx, "action", fn, argsArray, options, "enqueueActionBatch").then((r) => r.ids);
  }

  /**
   * Enqueues one query job per element of `argsArray` (at most 1,000).
   * @param ctx a mutation or action context; from a mutation, the job exists only if the mutation commits
   * @param fn the query every job runs
   * @param argsArray one element per job (at most 1,000)
   * @param options shared by every job: as for the single enqueue
   * @returns the jobs' ids, in the order of `argsArray`
   */
  enqueueQueryBatch<F extends AnyRef<"query">, C = unknown>(
    ctx: RunMutationCtx,
    fn: F,
    argsArray: FunctionArgs<F>[],
    options?: EnqueueOptions<C, FunctionReturnType<F>>,
  ): Promise<JobId[]> {
    return this.enqueueMany(ctx, "query", fn, argsArray, options, "enqueueQueryBatch").then((r) => r.ids);
  }

  /**
   * A job's status, or `null` if there is no such job (or it was cleaned up after retention, or
   * it belongs to another pool: ids are scoped to their pool). Throws if `jobId` is not a job id.
   * @param ctx a query, mutation or action context
   * @param jobId an id an enqueue returned
   * @returns the job's status, or null
   */
  async status(ctx: RunQueryCtx, jobId: JobId): Promise<JobStatus | null> {
    const where = this.where("status");
    checkQueryCtx(ctx, where);
    checkIdArg(jobId, this.idName, where);
    return await named(this.idName, where, () => ctx.runQuery(this.component.pool.status.status, { pool: this.options.name, jobId }));
  }

  /**
   * Statuses of several jobs, in the same order (`null` for gone or other pools' jobs).
   * @param ctx a query, mutation or action context
   * @param jobIds ids enqueues returned
   * @returns one status (or null) per id, in the same order
   */
  async statusBatch(ctx: RunQueryCtx, jobIds: JobId[]): Promise<(JobStatus | null)[]> {
    const where = this.where("statusBatch");
    checkQueryCtx(ctx, where);
    if (!Array.isArray(jobIds)) throw new Error(`${where}: \`${this.idName}s\` must be an array of ids, got ${describe(jobIds)}.`);
    jobIds.forEach((id, i) => checkIdArg(id, `${this.idName}s[${i}]`, where));
    return await named(this.idName, where, () =>
      ctx.runQuery(this.component.pool.status.statusBatch, { pool: this.options.name, jobIds }),
    );
  }

  /**
   * Cancels a job. A pending job never starts; a running job's result is discarded. Either way
   * onComplete receives `{ kind: "canceled" }`. Returns false if the job had already finished,
   * is gone, or belongs to another pool.
   * @param ctx a mutation or action context
   * @param jobId an id an enqueue returned
   * @returns true if this call canceled it
   */
  async cancel(ctx: RunMutationCtx, jobId: JobId): Promise<boolean> {
    const where = this.where("cancel");
    checkMutationCtx(ctx, where);
    checkIdArg(jobId, this.idName, where);
    return await named(this.idName, where, () => ctx.runMutation(this.component.pool.cancel.cancel, { pool: this.options.name, jobId }));
  }

  /**
   * Cancels every job of this pool that exists now (pending ones in background batches).
   * @param ctx a mutation or action context
   */
  async cancelAll(ctx: RunMutationCtx): Promise<void> {
    checkMutationCtx(ctx, this.where("cancelAll"));
    await ctx.runMutation(this.component.pool.cancel.cancelAll, { pool: this.options.name });
  }

  /**
   * Deletes a finished job's record now instead of after the retention window. Returns false if
   * the job is not finished, is already gone, or belongs to another pool.
   * @param ctx a mutation or action context
   * @param jobId an id an enqueue returned
   * @returns true if the job's record was deleted
   */
  async cleanup(ctx: RunMutationCtx, jobId: JobId): Promise<boolean> {
    const where = this.where("cleanup");
    checkMutationCtx(ctx, where);
    checkIdArg(jobId, this.idName, where);
    return await named(this.idName, where, () =>
      ctx.runMutation(this.component.pool.retention.cleanup, { pool: this.options.name, jobId }),
    );
  }

  /**
   * Changes the pool's cap, retention or log level now, without a deploy. The values set win over
   * the constructor's options (of every `Workpool` with this name) until `configure(ctx, { reset:
   * true })`. Raising `maxParallelism` starts waiting jobs at once. Returns the config in effect.
   * @param ctx a mutation or action context
   * @param update any of `maxParallelism` (0 pauses), `retentionMs`, `logLevel`; or `reset: true` to go back to the constructor's options
   * @returns the pool's config now in effect
   */
  async configure(ctx: RunMutationCtx, update: PoolConfigUpdate): Promise<PoolConfig> {
    const { reset, ...set } = checkConfigUpdate(update, this.options.name);
    return await ctx.runMutation(this.component.pool.config.configure, {
      pool: this.poolConfig(),
      set,
      reset,
    });
  }

  /**
   * Counts of pending, running, succeeded, failed and canceled jobs. Cheap: a few documents.
   * @param ctx a query, mutation or action context
   * @returns the pool's counts (all zero before its first enqueue)
   */
  async stats(ctx: RunQueryCtx): Promise<PoolStats> {
    checkQueryCtx(ctx, this.where("stats"));
    return await ctx.runQuery(this.component.pool.status.stats, { pool: this.options.name });
  }

  /**
   * Pauses the pool: no job starts until `resume`. Running jobs finish; enqueues are accepted and
   * wait; `stats`, `inspect` and a pending job's `status` show the pause. Also a runtime change.
   * @param ctx a mutation or action context
   * @returns whether the pool was already paused
   */
  async pause(ctx: RunMutationCtx): Promise<boolean> {
    checkMutationCtx(ctx, this.where("pause"));
    return await ctx.runMutation(this.component.pool.flow.setPaused, { pool: this.poolConfig(), paused: true });
  }

  /**
   * Resumes a paused pool: waiting jobs start at once, in line order.
   * @param ctx a mutation or action context
   * @returns whether the pool was paused
   */
  async resume(ctx: RunMutationCtx): Promise<boolean> {
    checkMutationCtx(ctx, this.where("resume"));
    return await ctx.runMutation(this.component.pool.flow.setPaused, { pool: this.poolConfig(), paused: false });
  }

  /**
   * Pauses one concurrency key: none of its jobs starts until `resumeKey`; other keys go on.
   * Applied by the pool's next dispatch run (milliseconds later); its running jobs finish.
   * @param ctx a mutation or action context
   * @param key the concurrency key, as given to enqueue
   */
  async pauseKey(ctx: RunMutationCtx, key: string): Promise<void> {
    const where = this.where("pauseKey");
    checkMutationCtx(ctx, where);
    checkKeyArg(key, where);
    await ctx.runMutation(this.component.pool.flow.setKeyPaused, { pool: this.poolConfig(), key, paused: true });
  }

  /**
   * Resumes a paused concurrency key.
   * @param ctx a mutation or action context
   * @param key the concurrency key, as given to enqueue
   */
  async resumeKey(ctx: RunMutationCtx, key: string): Promise<void> {
    const where = this.where("resumeKey");
    checkMutationCtx(ctx, where);
    checkKeyArg(key, where);
    await ctx.runMutation(this.component.pool.flow.setKeyPaused, { pool: this.poolConfig(), key, paused: false });
  }

  /**
   * What the pool is doing and waiting for: running, pending, paused, how long the first job in
   * line has waited, when a job held by a token or a delay can next start, and the bucket's tokens.
   * @param ctx a query, mutation or action context
   * @returns null if the pool has never been used
   */
  async inspect(ctx: RunQueryCtx): Promise<PoolInspection | null> {
    checkQueryCtx(ctx, this.where("inspect"));
    return await ctx.runQuery(this.component.pool.flow.inspect, { pool: this.options.name });
  }

  /**
   * One concurrency key's flow: running, pending, paused, its cap, its tokens, and why its next
   * job waits (`state`: "ready", "atLimit", "rateLimited", "paused" or "idle").
   * @param ctx a query, mutation or action context
   * @param key the concurrency key, as given to enqueue
   * @returns null when the key has nothing running, waiting or paused
   */
  async keyStats(ctx: RunQueryCtx, key: string): Promise<KeyStats | null> {
    const where = this.where("keyStats");
    checkQueryCtx(ctx, where);
    checkKeyArg(key, where);
    return await ctx.runQuery(this.component.pool.flow.keyStats, { pool: this.options.name, key });
  }

  /**
   * Defines an onComplete mutation with typed, validated args: see {@link defineOnComplete}.
   * Written as a method too, as in the official workpool: `pool.defineOnComplete<DataModel>({...})`.
   * @param definition `{ context?, returnValue?, handler }`, as for the free `defineOnComplete`
   * @returns an internal mutation to pass as `onComplete`
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
    method: string,
  ): Promise<JobId | DedupedEnqueue> {
    return oneResult(await this.enqueueMany(ctx, kind, fn, [args], options, method, false));
  }

  private async enqueueMany(
    ctx: RunMutationCtx,
    kind: Kind,
    fn: AnyRef<Kind>,
    argsArray: unknown[],
    options: EnqueueOptions<any, any> = {},
    method: string,
    batch = true,
  ): Promise<{ ids: JobId[]; deduped?: boolean[] }> {
    const where = this.where(method);
    checkMutationCtx(ctx, where);
    const keyed = checkKeyedOptions(options, batch, where);
    const fnName = checkFunctionRef(fn, "fn", where);
    if (!Array.isArray(argsArray)) {
      throw new Error(`${where}: \`argsArray\` must be an array of args objects (one job each), got ${describe(argsArray)}.`);
    }
    checkKeys(options, ENQUEUE_OPTION_KEYS, `${where} options`);
    options ??= {};
    const runAt = resolveRunAt(options, where);
    if (options.retryIf !== undefined) validateRetryRule(options.retryIf, `${where} retryIf`);
    const retry = this.resolveRetry(kind, options.retry);
    if (options.onComplete !== undefined) checkFunctionRef(options.onComplete, "onComplete", where);
    else if (options.context !== undefined) {
      throw new Error(`${where}: \`context\` is only passed to onComplete, and no \`onComplete\` was given: add one or drop \`context\`.`);
    }
    const context = options.context ?? null;
    argsArray.forEach((args, i) => checkJobData(args, context, batch ? `argsArray[${i}]` : "args", where));
    if (options.name !== undefined && (typeof options.name !== "string" || options.name.length === 0)) {
      throw new Error(`${where}: \`name\` must be a non-empty string, got ${describe(options.name)}.`);
    }
    const excludeKinds = checkExcludeKinds(options.onCompleteExcludeKinds, where);
    const shared = {
      ...jobFlow(options, where),
      kind,
      name: options.name,
      fnHandle: await createFunctionHandle(fn),
      fnName,
      runAt,
      retry,
      retryIf: retry ? (options.retryIf ?? this.options.retryIf) : undefined,
      ...keyed,
      onComplete: options.onComplete
        ? {
            fnHandle: await createFunctionHandle(options.onComplete),
            context,
            excludeKinds,
            argsShape: this.callbackShape,
          }
        : undefined,
    };
    // In one mutation (one transaction), a dispatch run guaranteed by an earlier enqueue to this
    // pool covers later jobs that are ready no sooner: the component need not schedule another.
    const txn = "db" in ctx ? ctx : undefined;
    const readyAt = Math.max(Date.now(), runAt ?? 0);
    const response = await ctx.runMutation(this.component.pool.enqueue.enqueue, {
      dispatchBy: txn && dispatchGuarantees.get(txn)?.get(this.options.name),
      pool: this.poolConfig(),
      jobs: argsArray.map((args) => ({ ...shared, args: args ?? {} })),
    });
    // A keyed enqueue may schedule no run (merged) or a later one (debounce): it guarantees nothing.
    if (txn && argsArray.length > 0 && !keyed.dedupe && !keyed.debounce) {
      const byPool = dispatchGuarantees.get(txn) ?? new Map<string, number>();
      byPool.set(this.options.name, Math.min(byPool.get(this.options.name) ?? Infinity, readyAt));
      dispatchGuarantees.set(txn, byPool);
    }
    return readResponse(response);
  }

  /** "Workpool \"emails\".status" (or the retrier's name for its pool). */
  private where(method: string): string {
    return `${this.owner}.${this.methodNames[method] ?? method}`;
  }

  /**
   * Lets an owner (the ActionRetrier) speak for this pool in messages: its name and what it
   * calls ids. Internal.
   * @internal
   */
  speakAs(owner: string, idName: string, methods: Record<string, string> = {}): this {
    this.owner = owner;
    this.idName = idName;
    this.methodNames = methods;
    return this;
  }

  /**
   * Sends onComplete the official components' args (see shared/compat.ts), for the compat
   * clients `convex-jobs/workpool` and `convex-jobs/action-retrier`. Internal.
   * @internal
   */
  sendCallbackArgsAs(shape: CallbackShape): this {
    this.callbackShape = shape;
    return this;
  }

  /** The pool's options as the component stores them. */
  private poolConfig() {
    return {
      name: this.options.name,
      maxParallelism: this.options.maxParallelism,
      retentionMs: this.options.retentionMs,
      logLevel: this.options.logLevel,
      retry: this.retryPolicy,
      retryKeepsSlot: this.options.retryKeepsSlot,
      keyConcurrency: this.options.keyConcurrency,
      rateLimit: this.options.rateLimit,
      keyRateLimit: this.options.keyRateLimit,
    };
  }

  private resolveRetry(kind: Kind, retry: EnqueueOptions["retry"]): Required<RetryPolicy> | null {
    const where = `${this.owner} enqueue \`retry\``;
    if (retry === false) return null;
    if (retry === true) return this.retryPolicy ?? normalizeRetryPolicy(undefined, where);
    if (retry && typeof retry === "object") return normalizeRetryPolicy({ ...this.retryPolicy, ...retry }, where);
    if (retry !== undefined) throw new Error(`${where} must be true, false or a policy object, got ${describe(retry)}.`);
    if (kind === "action" && this.options.retryActionsByDefault) {
      return this.retryPolicy ?? normalizeRetryPolicy(undefined, where);
    }
    return null;
  }
}
