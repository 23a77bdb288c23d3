/** Validators for users' own functions that take job ids or receive pool results. */
import {
  internalMutationGeneric,
  type GenericDataModel,
  type GenericMutationCtx,
  type RegisteredMutation,
} from "convex/server";
import { v, type Infer, type Validator, type VString } from "convex/values";
import { vJobResult, vJobResultOf, type JobResult } from "../../shared/validators.js";
import type { JobId, OnCompleteArgs } from "./types.js";

/**
 * Validator for a job id as a function argument or a document field:
 * ```ts
 * export const cancelItem = mutation({ args: { jobId: vJobId }, handler: (ctx, { jobId }) => pool.cancel(ctx, jobId) });
 * ```
 * At runtime it is `v.string()`; its type makes `Infer` (and the handler's args) a `JobId`, no cast.
 */
export const vJobId = v.string() as VString<JobId>;

/**
 * Args validator for an onComplete mutation, in one line:
 * ```ts
 * export const done = internalMutation({ args: onCompleteArgs(v.object({ userId: v.id("users") })), handler: ... });
 * ```
 * @param context validator for the `context` you pass at enqueue (default: any)
 * @param returns validator for the job function's return value (default: any)
 * @returns the args object: `{ jobId, context, result }`
 */
export function onCompleteArgs<
  C extends Validator<any, "required", any> = Validator<any, "required", any>,
  R extends Validator<any, "required", any> | undefined = undefined,
>(context?: C, returns?: R) {
  return {
    jobId: vJobId,
    context: (context ?? v.any()) as C,
    result: (returns ? vJobResultOf(returns) : vJobResult) as R extends Validator<any, "required", any>
      ? ReturnType<typeof vJobResultOf<R>>
      : typeof vJobResult,
  };
}

type AnyValidator = Validator<any, "required", any>;

/** What a `defineOnComplete` handler receives. */
export type OnCompleteHandlerArgs<Context, Returns> = {
  jobId: JobId;
  /** The same id as `jobId`, under the official workpool's name, so ported handlers keep working. */
  workId: JobId;
  context: Context;
  result: JobResult<Returns>;
};

/**
 * Defines an onComplete mutation with its args validated and typed: the `context` you pass at
 * enqueue and the job's result (its `returnValue` checked by `returnValue`, if given).
 * ```ts
 * export const sent = defineOnComplete<DataModel>({
 *   context: v.object({ userId: v.id("users") }),
 *   handler: async (ctx, { jobId, context, result }) => { ... },
 * });
 * ```
 * `pool.defineOnComplete(...)` is the same function. TypeScript cannot infer some type arguments
 * and take others: with `<DataModel>` given, `context` and `returnValue` are typed `any` (still
 * validated); without it, they are typed from the validators and `ctx.db` is untyped.
 * @param definition.context validator for the context (default: any)
 * @param definition.returnValue validator for the job function's return value (default: any)
 * @param definition.handler runs in the transaction that records the job's result
 * @returns an internal mutation to pass as `onComplete`
 */
export function defineOnComplete<
  DataModel extends GenericDataModel = GenericDataModel,
  VContext extends AnyValidator = AnyValidator,
  VReturns extends AnyValidator = AnyValidator,
>(definition: {
  context?: VContext;
  returnValue?: VReturns;
  handler: (ctx: GenericMutationCtx<DataModel>, args: OnCompleteHandlerArgs<Infer<VContext>, Infer<VReturns>>) => Promise<void>;
}): RegisteredMutation<"internal", OnCompleteArgs<Infer<VContext>, Infer<VReturns>>, Promise<null>> {
  const { context, returnValue, handler } = definition ?? {};
  if (typeof handler !== "function") {
    throw new Error("defineOnComplete({ context?, returnValue?, handler }): `handler` must be a function.");
  }
  return internalMutationGeneric({
    args: onCompleteArgs(context, returnValue),
    handler: async (ctx: GenericMutationCtx<DataModel>, args: any) => {
      const jobId = args.jobId as JobId;
      await handler(ctx, { jobId, workId: jobId, context: args.context, result: args.result });
      return null;
    },
  }) as RegisteredMutation<"internal", OnCompleteArgs<Infer<VContext>, Infer<VReturns>>, Promise<null>>;
}
