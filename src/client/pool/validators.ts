/** Validators for users' own functions that receive pool results. */
import { v, type Validator } from "convex/values";
import { vJobResult, vJobResultOf } from "../../shared/validators.js";

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
    jobId: v.string(),
    context: (context ?? v.any()) as C,
    result: (returns ? vJobResultOf(returns) : vJobResult) as R extends Validator<any, "required", any>
      ? ReturnType<typeof vJobResultOf<R>>
      : typeof vJobResult,
  };
}
