/**
 * Moving jobs: every state change goes through `transition`, and every way a job ends goes
 * through `finish` (result, retry decision, onComplete). Shared by workers, runners, cancel and
 * dispatch.
 */
import type { FunctionHandle } from "convex/server";
import type { Doc } from "../_generated/dataModel.js";
import { v, type Infer } from "convex/values";
import type { ActionCtx, MutationCtx } from "../_generated/server.js";
import { vJobError, type JobError, type JobResult } from "../../shared/validators.js";
import { MAX_DOCUMENT_BYTES, convexSize, documentSize, formatBytes } from "../../shared/validate.js";
import { toJobError } from "../../shared/errors.js";
import { callbackArgs, callbackArgsHint } from "../../shared/compat.js";
import { createLogger } from "../../shared/logging.js";
import { decideRetry } from "../retries/decide.js";
import { assertTransition, isFinal, type FinalState, type JobState } from "./state.js";
import { jobFields, vJobIn } from "./tables.js";
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

/** A job in state `S`: its schema member (`vJobIn` in ./tables.ts), so its state's fields are typed. */
export type JobIn<S extends JobState> = Extract<Job, { state: S }>;
/** A running job: it has its worker (`workerId`) and `startedAt`. */
export type RunningJob = JobIn<"running">;
/** A succeeded, failed or canceled job: it has its `result`, `finishedAt` and `expiresAt`. */
export type FinishedJob = JobIn<FinalState>;

/** A finished job (succeeded, failed or canceled): it has its result and expiry. */
export function isFinished(job: Job): job is FinishedJob {
  return isFinal(job.state);
}

/** When a finished job is deleted; null for a job still live, or gone. */
export function expiryOf(job: Job | null): number | null {
  return job && isFinished(job) ? job.expiresAt : null;
}

type Fields<S extends JobState> = Omit<JobIn<S>, "_id" | "_creationTime" | "state">;
type RequiredKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? never : K }[keyof T];
/**
 * What a move to `S` writes: every field `S` requires beyond those every job has (`jobFields`
 * in ./tables.ts): a worker and start time for "running", a result and expiry for a final
 * state; optionally any other field of `S`.
 */
export type Move<S extends JobState> = Pick<Fields<S>, Exclude<RequiredKeys<Fields<S>>, keyof typeof jobFields>> & Partial<Fields<S>>;

/**
 * The job as a move to `to` leaves it: `move` over the job, keeping only the fields state `to`
 * has. So leaving a state drops its fields (a worker, a dedupe key) without naming them.
 */
export function moved<S extends JobState>(job: Job, to: S, move: Move<S>): JobIn<S> {
  const merged: Record<string, unknown> = { ...job, ...move, state: to };
  const next: Record<string, unknown> = { _id: job._id, _creationTime: job._creationTime };
  for (const field of Object.keys(vJobIn[to].fields)) if (merged[field] !== undefined) next[field] = merged[field];
  return next as JobIn<S>;
}

/**
 * The single place a job's `state` is written (besides its insert as "pending"). It replaces the
 * document with `moved(job, to, move)`, so `job` must be the document as this transaction has it
 * (read, or returned by the last `transition`): a field patched since would be lost.
 */
export async function transition<S extends JobState>(ctx: MutationCtx, job: Job, to: S, move: Move<S>): Promise<JobIn<S>> {
  assertTransition(job.state, to);
  const next = moved(job, to, move);
  const { _id, _creationTime, ...fields } = next as Job;
  // A replace, not a patch: a patch that clears a field the new state lacks is refused by
  // convex-test's schema check (it validates the cleared field as present).
  await ctx.db.replace(_id, fields);
  return next;
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
  job: RunningJob,
  pool: Pool,
  outcome: Outcome,
  keepSlot?: KeepSlot,
): Promise<Job> {
  const now = Date.now();
  if (job.cancelRequested || outcome.kind === "canceled") {
    // A cancel already reported "canceled" to onComplete when it was requested.
    const callbackDue = !job.cancelRequested;
    const done = await transition(ctx, job, "canceled", ending(pool, now, { kind: "canceled" }));
    return callbackDue ? await runOnComplete(ctx, done, done.result, pool) : done;
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
      });
    }
    const failed = await transition(ctx, job, "failed", {
      ...ending(pool, now, { kind: "failed", error: ended.error.message, data: ended.error.data }),
      lastError: ended.error,
    });
    return await runOnComplete(ctx, failed, failed.result, pool);
  }
  const ok = await transition(ctx, job, "succeeded", ending(pool, now, { kind: "success", returnValue: ended.returnValue ?? null }));
  return await runOnComplete(ctx, ok, ok.result, pool);
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
  const stored = moved(job, "succeeded", ending(pool, now, { kind: "success", returnValue: returnValue ?? null }));
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

/**
 * What ending a job writes besides its state. A final state has no worker and no dedupe key, so
 * the move also drops those: the job's dedupe/debounce key is released in this write (./dedupe.ts).
 */
export function ending<R extends JobResult>(pool: Pool, now: number, result: R) {
  return { result, finishedAt: now, expiresAt: now + pool.retentionMs };
}

/**
 * Calls the job's onComplete in a nested transaction, unless the result's kind is one the
 * enqueue excluded (`onCompleteExcludeKinds`). If it throws, its writes roll back, the error is
 * stored on the job and logged; the job's result stands and the pool moves on. The args take the
 * shape the enqueue asked for (ours unless a compat client tagged it: shared/compat.ts).
 * `result` is the finished job's own, or "canceled" for a running action whose cancel was
 * requested (its callback runs at the request; the job ends when the action returns).
 */
export async function runOnComplete<J extends FinishedJob | RunningJob>(ctx: MutationCtx, job: J, result: JobResult, pool: Pool): Promise<J> {
  jobFinished(pool, job, result, Date.now()); // every final result passes here exactly once
  if (!job.onComplete) return job;
  if (job.onComplete.excludeKinds?.includes(result.kind)) return job;
  try {
    const { fnHandle, argsShape, context } = job.onComplete;
    await ctx.runMutation(fnHandle as FunctionHandle<"mutation">, callbackArgs(argsShape, job._id, context, result));
    return job;
  } catch (e) {
    const message = toJobError(e).message;
    const callbackError = message + callbackArgsHint(job.onComplete.argsShape, message);
    createLogger(pool.logLevel).error(`onComplete of job ${job._id} (${jobName(job)}) threw: ${callbackError}`);
    await ctx.db.patch(job._id, { callbackError });
    return { ...job, callbackError };
  }
}
