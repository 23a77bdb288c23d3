/** Validators for users' own functions that take job ids or receive pool results. */
import { v, type Validator, type VString } from "convex/values";
import { vJobResult, vJobResultOf } from "../../shared/validators.js";
import type { JobId } from "./types.js";

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
