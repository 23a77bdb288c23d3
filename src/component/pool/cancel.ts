/**
 * Cancellation. A pending job is finished as canceled at once. A running mutation or query job
 * has not started its transaction yet (it cannot be observed mid-flight), so it is canceled at
 * once too. A running action that already started cannot be stopped: onComplete hears
 * "canceled" now, its eventual result is discarded, and its slot is held until it returns.
 */
import { v } from "convex/values";
import { internalMutation, mutation, type MutationCtx } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import type { Id } from "../_generated/dataModel.js";
import { ending, runOnComplete, transition, type Job, type Pool } from "./jobs.js";
import { isFinal } from "./state.js";
import { requestDispatch } from "./wake.js";
import { dispatchStateOf, jobOfPool, poolByName } from "./lookup.js";
import { KeyNewsBuilder } from "./enqueue.js";

/** Jobs canceled per transaction (each may run an onComplete). */
const CANCEL_BATCH = 100;
/** Pending jobs looked at per transaction while looking for those to cancel. */
const SCAN_LIMIT = 1000;

/** Cancels one job of `pool`. Returns false when it had already finished, is gone, or is another pool's. */
export const cancel = mutation({
  args: { pool: v.string(), jobId: v.string() },
  returns: v.boolean(),
  handler: async (ctx, args) => {
    const found = await jobOfPool(ctx, args.pool, args.jobId);
    if (!found || isFinal(found.job.state)) return false;
    return await cancelJob(ctx, found.job, found.pool);
  },
});

/**
 * Cancels one job (see the module comment). A canceled pending job is counted through a tally:
 * one per call here, or one per batch when `tally` is false and the caller sums them.
 */
export async function cancelJob(ctx: MutationCtx, job: Job, pool: Pool, tally = true): Promise<boolean> {
  const now = Date.now();
  // Ending the job releases its dedupe/debounce key in the same write (./dedupe.ts).
  const final = ending(pool, now, { kind: "canceled" });
  if (job.state === "pending") {
    const done = await transition(ctx, job, "canceled", final);
    if (tally) await tallyCanceled(ctx, pool, [job]);
    await runOnComplete(ctx, done, done.result, pool);
    return true;
  }
  if (job.state !== "running" || job.cancelRequested) return false;
  // Running, but its scheduled run has not started: it never will run this job. A mutation
  // worker is the job's own and is canceled; an action runner is shared by a batch, and its
  // claim skips jobs that are no longer running.
  const run = await ctx.db.system.get(job.workerId);
  if (run?.state.kind === "pending" && job.kind !== "action") {
    await ctx.scheduler.cancel(job.workerId);
  }
  if (!run || run.state.kind !== "inProgress") {
    const done = await transition(ctx, job, "canceled", final);
    await runOnComplete(ctx, done, done.result, pool);
    // Its slot is free now. This cancel is the job's completion: a full pool ("covered") counts
    // on a completion to wake the dispatcher, so schedule a run unconditionally, as `complete`
    // does (an insert: it conflicts with no one).
    await ctx.scheduler.runAfter(0, internal.pool.dispatch.dispatch, { pool: pool._id });
    return true;
  }
  // Canceled for the caller (onComplete hears it now): its key is free for a new job at once.
  await ctx.db.patch(job._id, { cancelRequested: true, dedupeKey: undefined });
  await runOnComplete(ctx, job, { kind: "canceled" }, pool);
  return true;
}

/**
 * Cancels every job in the pool that exists now (created at or before the pool's newest job):
 * running ones at once, pending ones in bounded batches. Jobs enqueued afterwards, even in the
 * same transaction, are not affected. Pending jobs covered by this call never
 * start, even before their batch comes round: the dispatcher skips them.
 */
export const cancelAll = mutation({
  args: { pool: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const pool = await poolByName(ctx, args.pool);
    if (!pool) return null;
    // The cutoff is the newest job's creation time, read in this transaction: creation times
    // order jobs exactly (wall time does not: a transaction's Date.now() is fixed at its start,
    // while jobs inserted in it are created later).
    const newest = await ctx.db
      .query("jobs")
      .withIndex("by_pool", (q) => q.eq("pool", pool._id))
      .order("desc")
      .first();
    if (!newest) return null;
    const before = newest._creationTime;
    await ctx.db.patch(pool._id, { canceledBefore: before });
    const state = await dispatchStateOf(ctx, pool._id);
    for (const r of state?.running ?? []) {
      const job = await ctx.db.get(r.jobId);
      if (job) await cancelJob(ctx, job, pool);
    }
    await ctx.scheduler.runAfter(0, internal.pool.cancel.cancelPendingBatch, { pool: pool._id, before });
    return null;
  },
});

/** One batch of cancelAll's pending jobs; reschedules itself until none are left. */
export const cancelPendingBatch = internalMutation({
  args: { pool: v.id("pools"), before: v.number(), fromReadyAt: v.optional(v.number()) },
  returns: v.null(),
  handler: async (ctx, { pool: poolId, before, fromReadyAt }) => {
    const pool = await ctx.db.get(poolId);
    if (!pool) return null;
    const { jobs, scanned, lastReadyAt } = await pendingCreatedBefore(ctx, poolId, before, fromReadyAt ?? 0);
    const canceled: Job[] = [];
    for (const job of jobs) if (await cancelJob(ctx, job, pool, false)) canceled.push(job);
    await tallyCanceled(ctx, pool, canceled);
    if (jobs.length === CANCEL_BATCH || scanned === SCAN_LIMIT) {
      await ctx.scheduler.runAfter(0, internal.pool.cancel.cancelPendingBatch, {
        pool: poolId,
        before,
        fromReadyAt: lastReadyAt,
      });
    } else if (pool.canceledBefore === before) {
      // Done: the dispatcher no longer needs to look past canceled jobs.
      await ctx.db.patch(poolId, { canceledBefore: undefined });
    }
    return null;
  },
});

/**
 * Records canceled pending jobs for the counts, and makes sure a dispatch folds them in soon
 * (and sees the freed queue) even if the pool is otherwise asleep until a later timer.
 */
async function tallyCanceled(ctx: MutationCtx, pool: Pool, jobs: Job[]) {
  const n = jobs.length;
  if (n === 0) return;
  // Their keys count them no longer (see ./keys.ts).
  const news = new KeyNewsBuilder();
  for (const job of jobs) if (job.key !== undefined) news.add({ key: job.key, pending: -1 });
  await ctx.db.insert("tallies", { pool: pool._id, pending: -n, canceled: n, keys: news.list() });
  await requestDispatch(ctx, pool._id, Date.now());
}

/**
 * Pending jobs created at or before `before`, in readyAt order from `fromReadyAt`. Jobs enqueued
 * later are interleaved with them (delayed jobs), so the scan is bounded separately.
 */
async function pendingCreatedBefore(ctx: MutationCtx, pool: Id<"pools">, before: number, fromReadyAt: number) {
  const jobs: Job[] = [];
  let scanned = 0;
  let lastReadyAt = fromReadyAt;
  const q = ctx.db
    .query("jobs")
    .withIndex("by_pool_state_ready", (q) => q.eq("pool", pool).eq("state", "pending").gte("readyAt", fromReadyAt));
  for await (const job of q) {
    scanned++;
    lastReadyAt = job.readyAt;
    if (job._creationTime <= before) jobs.push(job);
    if (jobs.length >= CANCEL_BATCH || scanned >= SCAN_LIMIT) break;
  }
  return { jobs, scanned, lastReadyAt };
}
