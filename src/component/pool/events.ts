/**
 * Structured log events a log pipeline can alert on (see the README, "Log events"). Each is one
 * line of JSON at INFO level, printed only when the pool's `logLevel` is "INFO" or "DEBUG". They
 * are built from documents the caller already holds: producing them reads nothing more.
 */
import type { MutationCtx } from "../_generated/server.js";
import type { Doc } from "../_generated/dataModel.js";
import { createLogger, logs } from "../../shared/logging.js";
import type { JobResult } from "../../shared/validators.js";
import { jobName, type Job, type Pool } from "./jobs.js";

/** The pool report is printed at most this often while the pool is busy (and once when it goes idle). */
export const REPORT_INTERVAL_MS = 60_000;
/** Error messages in events are cut to this length, to keep one event one short line. */
const MAX_ERROR_CHARS = 300;

/** `job.started`: the dispatcher starts an attempt. Returns how long the job waited since ready. */
export function jobStarted(pool: Pool, job: Job, now: number): number {
  const waitMs = Math.max(0, now - job.readyAt);
  createLogger(pool.logLevel).event("job.started", {
    pool: pool.name,
    jobId: job._id,
    name: jobName(job),
    kind: job.kind,
    attempt: job.attempt + 1,
    waitMs,
  });
  return waitMs;
}

/** `job.retry`: an attempt failed and the job will run again after `retryInMs`. */
export function jobRetrying(pool: Pool, job: Job, error: string, retryInMs: number, now: number): void {
  createLogger(pool.logLevel).event("job.retry", {
    pool: pool.name,
    jobId: job._id,
    name: jobName(job),
    kind: job.kind,
    attempt: job.attempt,
    durationMs: job.startedAt === undefined ? null : now - job.startedAt,
    error: error.slice(0, MAX_ERROR_CHARS),
    retryInMs,
  });
}

/** `job.finished`: the job's final result (once per job). */
export function jobFinished(pool: Pool, job: Job, result: JobResult, now: number): void {
  createLogger(pool.logLevel).event("job.finished", {
    pool: pool.name,
    jobId: job._id,
    name: jobName(job),
    kind: job.kind,
    outcome: result.kind,
    attempt: job.attempt,
    durationMs: lastAttemptMs(job, now),
    /** From enqueue to the final result. */
    totalMs: now - job._creationTime,
    ...(result.kind === "failed" ? { error: result.error.slice(0, MAX_ERROR_CHARS) } : {}),
  });
}

/**
 * How long the last attempt ran; null when the job ended while pending (canceled before it
 * started, or while waiting out a retry's backoff: then `readyAt` is after the last start).
 */
function lastAttemptMs(job: Job, now: number): number | null {
  return job.startedAt === undefined || job.readyAt > job.startedAt ? null : now - job.startedAt;
}

type State = Doc<"dispatchState">;

/**
 * `pool.report`, from the dispatcher: the backlog and the head of the queue's wait. Printed at
 * most once per REPORT_INTERVAL_MS while the pool has work, and once when it goes idle, so an
 * alert on the backlog also clears. Uses the counts the dispatcher keeps; its only cost is
 * writing `reportedAt` when it prints.
 */
export async function reportPool(
  ctx: MutationCtx,
  pool: Pool,
  state: State,
  counts: State["counts"],
  oldestWaitMs: number | null,
  now: number,
): Promise<void> {
  if (!logs(pool.logLevel, "INFO")) return;
  const busy = (c: State["counts"]) => c.pending + c.running > 0;
  const wentIdle = busy(state.counts) && !busy(counts);
  const due = busy(counts) && now - (state.reportedAt ?? -Infinity) >= REPORT_INTERVAL_MS;
  if (!wentIdle && !due) return;
  createLogger(pool.logLevel).event("pool.report", {
    pool: pool.name,
    backlog: counts.pending,
    running: counts.running,
    maxParallelism: pool.maxParallelism,
    oldestWaitMs,
    succeeded: counts.succeeded,
    failed: counts.failed,
    canceled: counts.canceled,
  });
  await ctx.db.patch(state._id, { reportedAt: now });
}
