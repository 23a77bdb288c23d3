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
import { MAX_DOCUMENT_BYTES, convexSize, documentSize, formatBytes } from "../../shared/validate.js";
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
 * Takes a retry that keeps its slot (`pools.retryKeepsSlot`): the caller arms the next attempt
 * for `at` (see `armRetries` in ./worker.ts, which gives retries due together one runner).
 */
export type KeepSlot = (job: Job, at: number, lastError: JobError) => void;

/**
 * Ends an attempt of a running job: records the result, or puts it back to pending for a retry
 * (or, with `keepSlot` and a pool whose retries keep their slot, hands the retry to the caller).
 * Runs onComplete (exactly once per job: only here and in `cancelJob`, each guarded by state).
 * Returns the job as it now is.
 */
export async function finish(
  ctx: MutationCtx,
  job: Job,
  pool: Pool,
  outcome: Outcome,
  keepSlot?: KeepSlot,
): Promise<Job> {
  const now = Date.now();
  if (job.cancelRequested || outcome.kind === "canceled") {
    // A cancel already reported "canceled" to onComplete when it was requested.
    const callbackDue = !job.cancelRequested;
    const done = await transition(ctx, job, "canceled", finalPatch(pool, now, { kind: "canceled" }));
    return callbackDue ? await runOnComplete(ctx, done, pool) : done;
  }
  const ended =
    outcome.kind === "success"
      ? storableOrFailed(job, outcome.returnValue, pool, now)
      : { kind: "failed" as const, error: storableError(job, outcome.error) };
  if (ended.kind === "failed" && ended.error.rateLimited) {
    // Turned away, not failed: back in line once the service said it may come back.
    const delayMs = ended.error.retryAfterMs ?? 0;
    jobRetrying(pool, job, ended.error.message, delayMs, now);
    return await transition(ctx, job, "pending", {
      readyAt: now + delayMs,
      rank: undefined,
      rateLimitedAttempts: (job.rateLimitedAttempts ?? 0) + 1,
      lastError: ended.error,
      workerId: undefined,
    });
  }
  if (ended.kind === "failed") {
    const decision = decideRetry(job, ended.error, Math.random);
    if (decision.retry) {
      createLogger(pool.logLevel).info(
        `job ${job._id} (${jobName(job)}) attempt ${job.attempt} failed: ${ended.error.message}; retrying in ${decision.delayMs} ms`,
      );
      jobRetrying(pool, job, ended.error.message, decision.delayMs, now);
      // A rate-limited pool takes a token for every attempt: a retry goes back through the dispatcher.
      if (keepSlot && pool.retryKeepsSlot && job.kind === "action" && !pool.rateLimit && !pool.keyRateLimit) {
        keepSlot(job, now + decision.delayMs, ended.error);
        return job;
      }
      return await transition(ctx, job, "pending", {
        readyAt: now + decision.delayMs,
        rank: undefined,
        lastError: ended.error,
        workerId: undefined,
      });
    }
    const failed = await transition(ctx, job, "failed", {
      ...finalPatch(pool, now, { kind: "failed", error: ended.error.message, data: ended.error.data }),
      lastError: ended.error,
    });
    return await runOnComplete(ctx, failed, pool);
  }
  const ok = await transition(
    ctx,
    job,
    "succeeded",
    finalPatch(pool, now, { kind: "success", returnValue: ended.returnValue ?? null }),
  );
  return await runOnComplete(ctx, ok, pool);
}

/**
 * A result too large to store would make the job's write throw, leaving it "running" until the
 * watchdog; instead the attempt fails at once, naming the size and the limit. Not retried: the
 * same call would return the same size (and a mutation job's own writes are already kept).
 */
function storableOrFailed(
  job: Job,
  returnValue: unknown,
  pool: Pool,
  now: number,
): Extract<Outcome, { kind: "success" | "failed" }> {
  const stored = { ...job, ...finalPatch(pool, now, { kind: "success", returnValue: returnValue ?? null }), state: "succeeded" };
  const size = documentSize(stored);
  if (size <= MAX_DOCUMENT_BYTES) return { kind: "success", returnValue };
  const resultSize = convexSize(returnValue ?? null);
  return {
    kind: "failed",
    error: {
      message:
        `The ${job.kind}'s result is ${formatBytes(resultSize)}: stored with the job it would take ${formatBytes(size)}, ` +
        `over Convex's document limit of ${formatBytes(MAX_DOCUMENT_BYTES)}. Return less (e.g. store big data in a table or file storage and return its id).`,
      nonRetryable: true,
    },
  };
}

/**
 * An error is stored twice (as `lastError` and in the failed result); one too large to store
 * (a ConvexError carrying megabytes of data) would make the write throw like a too-large result.
 * Its data is dropped (and an overlong message cut) instead, saying so.
 */
function storableError(job: Job, error: JobError): JobError {
  const room = MAX_DOCUMENT_BYTES - documentSize(job);
  const size = convexSize(error);
  if (2 * size <= room) return error;
  const message = error.message.length > MAX_STORED_MESSAGE ? `${error.message.slice(0, MAX_STORED_MESSAGE)}…` : error.message;
  const dataSize = convexSize(error.data);
  const { data: _dropped, ...rest } = error;
  return {
    ...rest,
    message: `${message} (${dataSize > 0 ? `error data of ${formatBytes(dataSize)} dropped` : "message cut"}: too large to store with the job)`,
  };
}

/** Characters of an error message kept when the error is too large to store. */
const MAX_STORED_MESSAGE = 8192;

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
