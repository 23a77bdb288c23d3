/**
 * The official components' shapes for onComplete args, results and statuses, and the conversions
 * from ours. One home for both sides: the component builds onComplete's args with `callbackArgs`,
 * the compat clients (`convex-jobs/workpool`, `convex-jobs/action-retrier`) convert `status`.
 *
 * Why a per-job shape, chosen at enqueue, rather than one shape for all: Convex validates a
 * mutation's args strictly (an unknown field is refused, a missing one too), and the component
 * cannot see the validator of the onComplete it calls. So no one args object satisfies both
 * `{ jobId, context, result }` (ours, which existing users validate) and `{ workId, context,
 * result }` (the official workpool's) or `{ runId, result: { type } }` (the official retrier's).
 * Trying one shape and retrying with another on a validation error would hinge on error
 * message text and double the calls. The caller does know: a user porting from an official
 * package imports its compat entry point, whose classes tag each job's onComplete with the
 * shape to send (`argsShape`). Jobs without the tag (every job enqueued before this existed,
 * and every job from the main entry point) get our shape, unchanged.
 */
import { v, type Infer, type Value } from "convex/values";
import type { JobResult } from "./validators.js";

/** Which args an onComplete mutation receives: unset = ours, `{ jobId, context, result }`. */
export const vCallbackShape = v.union(v.literal("workpool"), v.literal("retrier"));
export type CallbackShape = Infer<typeof vCallbackShape>;

/** The official workpool's result: as ours, but a ConvexError's data is `errorData`. */
export type WorkpoolResult<Returns = unknown> =
  | { kind: "success"; returnValue: Returns }
  | { kind: "failed"; error: string; errorData?: Value }
  | { kind: "canceled" };

/** The official retrier's result: tagged `type`, and no error data. */
export type RetrierResult<Returns = unknown> =
  | { type: "success"; returnValue: Returns }
  | { type: "failed"; error: string }
  | { type: "canceled" };

/** Our result in the official workpool's shape. */
export function toWorkpoolResult<R>(result: JobResult<R>): WorkpoolResult<R> {
  if (result.kind !== "failed") return result;
  return result.data === undefined
    ? { kind: "failed", error: result.error }
    : { kind: "failed", error: result.error, errorData: result.data as Value };
}

/** Our result in the official retrier's shape. */
export function toRetrierResult<R>(result: JobResult<R>): RetrierResult<R> {
  switch (result.kind) {
    case "success":
      return { type: "success", returnValue: result.returnValue };
    case "failed":
      return { type: "failed", error: result.error };
    case "canceled":
      return { type: "canceled" };
  }
}

/** The args onComplete receives, in the shape the enqueue asked for. */
export function callbackArgs(shape: CallbackShape | undefined, jobId: string, context: unknown, result: JobResult) {
  switch (shape) {
    case "workpool":
      return { workId: jobId, context, result: toWorkpoolResult(result) };
    case "retrier":
      // The official retrier has no `context`: its onComplete validator would refuse the field.
      return { runId: jobId, result: toRetrierResult(result) };
    default:
      return { jobId, context, result };
  }
}

/**
 * A hint for an onComplete that refused its args because it expects another shape (a missing or
 * extra `jobId`/`workId`/`runId`), naming the entry point that sends the shape it wants; "" for
 * any other error. Convex's message wording varies by version, so only the field names are read.
 */
export function callbackArgsHint(shape: CallbackShape | undefined, message: string): string {
  if (!/field `(jobId|workId|runId|context)`/.test(message)) return "";
  const sent = {
    workpool: 'enqueued through "convex-jobs/workpool", so it gets { workId, context, result } (validate with vOnCompleteArgs)',
    retrier: 'enqueued through "convex-jobs/action-retrier", so it gets { runId, result } (validate with onCompleteValidator)',
    ours: 'enqueued through "convex-jobs", so it gets { jobId, context, result } (validate with onCompleteArgs)',
  }[shape ?? "ours"];
  return (
    ` (this job was ${sent}. For the official workpool's { workId, context, result }, enqueue with Workpool from "convex-jobs/workpool"; ` +
    `for the official retrier's { runId, result }, ActionRetrier from "convex-jobs/action-retrier"; for { jobId, context, result }, the classes from "convex-jobs".)`
  );
}
