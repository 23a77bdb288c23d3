/**
 * Starting jobs: the dispatcher moves ready pending jobs to running and schedules what runs
 * them. A mutation or query job gets a worker of its own (its writes commit with its result). The
 * action jobs a run starts share one runner action per batch (./runner.ts): one scheduled run,
 * one claim and, when they end together, one completion transaction for the whole batch.
 */
import type { MutationCtx } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import { transition, type Pool } from "./jobs.js";
import { jobStarted } from "./events.js";
import type { Running } from "./tables.js";

/** Most action jobs one runner executes; more started at once get more runners. */
export const RUNNER_BATCH = 100;

type Counts = Doc<"dispatchState">["counts"];

/**
 * Starts the jobs the view found ready, oldest first, into free slots. Each is re-read by id (the
 * view is stale): one canceled or started meanwhile is skipped.
 */
export async function startReady(
  ctx: MutationCtx,
  pool: Pool,
  readyIds: Id<"jobs">[],
  running: Running[],
  counts: Counts,
  now: number,
) {
  const free = pool.maxParallelism - running.length;
  const started: Running[] = [];
  if (free <= 0) return { started, moreReady: false, oldestWaitMs: null };
  const cutoff = pool.canceledBefore ?? -1;
  const actions: Doc<"jobs">[] = [];
  let skipped = 0;
  /** The longest a job started here waited since it became ready (for the pool report). */
  let oldestWaitMs: number | null = null;
  for (const id of readyIds) {
    if (started.length + actions.length >= free) break;
    const job = await ctx.db.get(id);
    if (!job || job.state !== "pending" || job.readyAt > now || job._creationTime <= cutoff) {
      skipped++;
      continue;
    }
    oldestWaitMs = Math.max(oldestWaitMs ?? 0, jobStarted(pool, job, now));
    if (job.kind === "action") {
      actions.push(job);
      continue;
    }
    const attempt = job.attempt + 1;
    const workerId = await ctx.scheduler.runAfter(0, internal.pool.worker.runMutationJob, { jobId: job._id, attempt });
    await transition(ctx, job, "running", { attempt, workerId, startedAt: now });
    started.push({ jobId: job._id, attempt, workerId, kind: job.kind });
  }
  for (let i = 0; i < actions.length; i += RUNNER_BATCH) {
    started.push(...(await startRunner(ctx, pool._id, actions.slice(i, i + RUNNER_BATCH), now)));
  }
  counts.pending -= started.length;
  counts.running += started.length;
  // Jobs skipped as stale left slots free that other ready jobs may fill: look again at once.
  return { started, moreReady: skipped > 0 && started.length < free, oldestWaitMs };
}

/** Schedules one runner for a batch of action jobs and marks them running under it. */
async function startRunner(ctx: MutationCtx, pool: Id<"pools">, jobs: Doc<"jobs">[], now: number) {
  const batch = jobs.map((job) => ({ jobId: job._id, attempt: job.attempt + 1 }));
  const workerId = await ctx.scheduler.runAfter(0, internal.pool.runner.runActions, { pool, jobs: batch });
  const started: Running[] = [];
  for (const [i, job] of jobs.entries()) {
    const { attempt } = batch[i];
    await transition(ctx, job, "running", { attempt, workerId, startedAt: now });
    started.push({ jobId: job._id, attempt, workerId, kind: "action" });
  }
  return started;
}
