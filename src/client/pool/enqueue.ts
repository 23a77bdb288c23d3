/**
 * Free-function forms of enqueue, as the official workpool exports them: the function's type is
 * an argument, so generic code (a workflow engine, a helper that takes "any job") can enqueue
 * without a switch of its own.
 */
import type { FunctionArgs, FunctionReturnType } from "convex/server";
import type { AnyRef, RunMutationCtx } from "../ctx.js";
import type { DedupedEnqueue, EnqueueOptions, EnqueueReturn, JobId } from "./types.js";
import { Workpool } from "./workpool.js";

/** The kinds of function a pool runs. */
export type FunctionKind = "mutation" | "action" | "query";

/**
 * Enqueues one job on `pool`: `enqueue(pool, ctx, "action", internal.x.y, args, options?)` is
 * `pool.enqueueAction(ctx, internal.x.y, args, options)`.
 * @param pool the Workpool to enqueue on
 * @param ctx a mutation or action context
 * @param fnType "mutation", "action" or "query": the kind of `fn`
 * @param fn the function to run
 * @param args its arguments
 * @param options as for `pool.enqueueAction` and friends
 * @returns the job's id
 */
export function enqueue<
  T extends FunctionKind,
  F extends AnyRef<T>,
  C = unknown,
  O extends EnqueueOptions<C, FunctionReturnType<F>> | undefined = undefined,
>(
  pool: Workpool,
  ctx: RunMutationCtx,
  fnType: T,
  fn: F,
  args: FunctionArgs<F>,
  options?: O & EnqueueOptions<C, FunctionReturnType<F>>,
): Promise<EnqueueReturn<O>> {
  return methods(pool, fnType, "enqueue").one(ctx, fn, args, options) as Promise<EnqueueReturn<O>>;
}

/**
 * Enqueues one job per element of `argsArray` (at most 1,000) on `pool`, in one transaction.
 * @param pool the Workpool to enqueue on
 * @param ctx a mutation or action context
 * @param fnType "mutation", "action" or "query": the kind of `fn`
 * @param fn the function to run
 * @param argsArray one element per job
 * @param options shared by every job, as for `pool.enqueueActionBatch` and friends
 * @returns the jobs' ids, in the order of `argsArray`
 */
export function enqueueBatch<T extends FunctionKind, F extends AnyRef<T>, C = unknown>(
  pool: Workpool,
  ctx: RunMutationCtx,
  fnType: T,
  fn: F,
  argsArray: FunctionArgs<F>[],
  options?: EnqueueOptions<C, FunctionReturnType<F>>,
): Promise<JobId[]> {
  return methods(pool, fnType, "enqueueBatch").batch(ctx, fn, argsArray, options);
}

type Methods = {
  one: (ctx: RunMutationCtx, fn: any, args: any, options: any) => Promise<JobId | DedupedEnqueue>;
  batch: (ctx: RunMutationCtx, fn: any, argsArray: any[], options: any) => Promise<JobId[]>;
};

/** The pool's methods for `fnType`, after checking both arguments. */
function methods(pool: Workpool, fnType: FunctionKind, caller: string): Methods {
  if (!(pool instanceof Workpool)) {
    throw new Error(
      `${caller}(pool, ctx, fnType, fn, args): \`pool\` must be a Workpool, e.g. new Workpool(components.jobs, { maxParallelism: 10 }).`,
    );
  }
  switch (fnType) {
    case "mutation":
      return { one: pool.enqueueMutation.bind(pool), batch: pool.enqueueMutationBatch.bind(pool) };
    case "action":
      return { one: pool.enqueueAction.bind(pool), batch: pool.enqueueActionBatch.bind(pool) };
    case "query":
      return { one: pool.enqueueQuery.bind(pool), batch: pool.enqueueQueryBatch.bind(pool) };
    default:
      throw new Error(`${caller}: \`fnType\` must be "mutation", "action" or "query", got ${JSON.stringify(fnType)}.`);
  }
}
