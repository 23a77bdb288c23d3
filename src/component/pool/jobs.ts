/**
 * Moving jobs: every state change goes through `transition`, and every way a job ends goes
 * through `finish` (result, retry decision, onComplete). Shared by workers, runners, cancel and
 * dispatch.
 */
import type { FunctionHandle } from "convex/server";
import type { Doc } from "../_generated/dataModel.js";
import { v, type Infer } from "convex/values";
import type { ActionCtx, MutationCtx } from "../_generated/server.js";
import { vJobError, type JobError } from "../../shared/validators.js";
import { toJobError } from "../../shared/errors.js";
import { createLogger } from "../../shared/logging.js";
import { decideRetry } from "../retries/decide.js";
import { assertTransition, type JobState } from "./state.js";
import { jobFinished, jobRetrying } from "./events.js";

export { toJobError };
export type Job = Doc<"jobs">;
export type Pool = Doc<"pools">;

/** What a finished attempt produced. */
export type Outcome =
  | { kind: "success"; returnValue: unknown }
  | { kind: "failed"; error: JobError }
  | { kind: "canceled" };

/** One action attempt's outcome, as an action runner reports it to `complete`. */
export const vAttemptOutcome = v.object({
  jobId: v.id("jobs"),
  attempt: v.number(),
  outcome: v.union(
    v.object({ kind: v.literal("success"), returnValue: v.any() }),
    v.object({ kind: v.literal("failed"), error: vJobError }),
    v.object({ kind: v.literal("canceled") }),
  ),
});
export type AttemptOutcome = Infer<typeof vAttemptOutcome>;

/** Runs one action attempt; a throw is its failed outcome, never the caller's. */
export async function attemptAction(ctx: ActionCtx, fnHandle: string, args: unknown): Promise<AttemptOutcome["outcome"]> {
  try {
    const returnValue = await ctx.runAction(fnHandle as FunctionHandle<"action">, args as Record<string, unknown>);
    return { kind: "success", returnValue: returnValue ?? null };
  } catch (e) {
    return { kind: "failed", error: toJobError(e) };
  }
}

/** The job's name for logs, events and status: the one given at enqueue, else the function's. */
export function jobName(job: Pick<Job, "name" | "fnName">): string {
  return job.name ?? job.fnName;
}

/** The single place a job's `state` is written (besides its insert as "pending"). */
export async function transition(
  ctx: MutationCtx,
  job: Job,
  to: JobState,
  patch: Partial<Omit<Job, "_id" | "_creationTime" | "state">> = {},
): Promise<Job> {
  assertTransition(job.state, to);
  const next = { ...patch, state: to };
  await ctx.db.patch(job._id, next);
  return { ...job, ...next } as Job;
}

/**
 * Ends an attempt of a running job: records the result, or puts it back to pending for a retry.
 * Runs onComplete (exactly once per job: only here and in `cancelJob`, each guarded by state).
 * Returns the job as it now is.
 */
export async function finish(ctx: MutationCtx, job: Job, pool: Pool, outcome: Outcome): Promise<Job> {
  const now = Date.now();
  if (job.cancelRequested || outcome.kind === "canceled") {
    // A cancel already reported "canceled" to onComplete when it was requested.
    const callbackDue = !job.cancelRequested;
    const done = await transition(ctx, job, "canceled", finalPatch(pool, now, { kind: "canceled" }));
    return callbackDue ? await runOnComplete(ctx, done, pool) : done;
  }
  if (outcome.kind === "failed") {
    const decision = decideRetry(job, outcome.error, Math.random);
    if (decision.retry) {
      createLogger(pool.logLevel).info(
        `job ${job._id} (${jobName(job)}) attempt ${job.attempt} failed: ${outcome.error.message}; retrying in ${decision.delayMs} ms`,
      );
      jobRetrying(pool, job, outcome.error.message, decision.delayMs, now);
      return await transition(ctx, job, "pending", {
        readyAt: now + decision.delayMs,
        lastError: outcome.error,
        workerId: undefined,
      });
    }
    const failed = await transition(ctx, job, "failed", {
      ...finalPatch(pool, now, { kind: "failed", error: outcome.error.message, data: outcome.error.data }),
      lastError: outcome.error,
    });
    return await runOnComplete(ctx, failed, pool);
  }
  const ok = await transition(
    ctx,
    job,
    "succeeded",
    finalPatch(pool, now, { kind: "success", returnValue: outcome.returnValue ?? null }),
  );
  return await runOnComplete(ctx, ok, pool);
}

function finalPatch(pool: Pool, now: number, result: NonNullable<Job["result"]>) {
  return { result, finishedAt: now, expiresAt: now + pool.retentionMs, workerId: undefined };
}

/**
 * Calls the job's onComplete in a nested transaction, unless the result's kind is one the
 * enqueue excluded (`onCompleteExcludeKinds`). If it throws, its writes roll back, the error is
 * stored on the job and logged; the job's result stands and the pool moves on.
 */
export async function runOnComplete(ctx: MutationCtx, job: Job, pool: Pool): Promise<Job> {
  jobFinished(pool, job, Date.now()); // every final result passes here exactly once
  if (!job.onComplete || !job.result) return job;
  if (job.onComplete.excludeKinds?.includes(job.result.kind)) return job;
  try {
    await ctx.runMutation(job.onComplete.fnHandle as FunctionHandle<"mutation">, {
      jobId: job._id,
      context: job.onComplete.context,
      result: job.result,
    });
    return job;
  } catch (e) {
    const callbackError = toJobError(e).message;
    createLogger(pool.logLevel).error(`onComplete of job ${job._id} (${jobName(job)}) threw: ${callbackError}`);
    await ctx.db.patch(job._id, { callbackError });
    return { ...job, callbackError };
  }
}
