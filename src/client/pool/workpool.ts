/**
 * `Workpool`: the app-side handle on one named pool of the convex-jobs component. This file has
 * its enqueue methods; the others are layered beneath it by seam: ./handle.ts (options, shared
 * internals), ./jobOps.ts (status, cancel, cleanup), ./poolOps.ts (configure, stats, flow control).
 */
import {
  createFunctionHandle,
  type FunctionArgs,
  type FunctionReturnType,
  type GenericDataModel,
} from "convex/server";
import type { Validator } from "convex/values";
import { normalizeRetryPolicy } from "../../shared/backoff.js";
import type { RetryPolicy } from "../../shared/validators.js";
import { validateRetryRule } from "../../shared/retryRules.js";
import { checkFunctionRef, checkKeys, checkMutationCtx, describe } from "../../shared/validate.js";
import type { AnyRef, RunMutationCtx } from "../ctx.js";
import { ENQUEUE_OPTION_KEYS, checkExcludeKinds, checkJobData, resolveRunAt } from "./options.js";
import { defineOnComplete } from "./validators.js";
import { jobFlow } from "./flow.js";
import { checkKeyedOptions, oneResult, readResponse } from "./dedupe.js";
import { PoolOps } from "./poolOps.js";
import type { DedupedEnqueue, EnqueueOptions, EnqueueReturn, JobId } from "./types.js";

type Kind = "mutation" | "action" | "query";
/**
 * Per mutation ctx (one transaction), per pool: the earliest readyAt an enqueue has already made
 * sure a dispatch run will see. Weak, so it is dropped with the ctx. Not kept for action ctxs,
 * whose enqueues are separate transactions (a run they scheduled may already be over).
 */
const dispatchGuarantees = new WeakMap<object, Map<string, number>>();

/**
 * A durable queue of mutations, actions and queries, run under a `maxParallelism` cap.
 *
 * ```ts
 * const pool = new Workpool(components.jobs, { name: "emails", maxParallelism: 5 });
 * await pool.enqueueAction(ctx, internal.emails.send, { to }, { onComplete: internal.emails.sent });
 * ```
 */
export class Workpool extends PoolOps {
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
