/**
 * What the dispatcher and enqueue read without taking a read dependency: queries run with
 * `ctx.runQuery(ref, args, { useStaleSnapshot: true })`. A transaction that read these with
 * `ctx.db` would retry whenever a concurrent enqueue inserted a job or a worker finished one;
 * through a stale snapshot it never does.
 *
 * Acting on a slightly old view is safe here because everything read only grows or moves one
 * way: tallies and pending jobs are inserted, and an attempt that ended never un-ends. Whatever
 * the dispatcher writes, it first re-reads by id (a point read that conflicts only with a
 * writer of that very document). What a stale view can miss is covered by the wake protocol
 * (../README.md, "How the dispatcher wakes").
 */
import { v, type Infer } from "convex/values";
import { internalQuery, type QueryCtx } from "../_generated/server.js";
import type { Id } from "../_generated/dataModel.js";
import { vJobState } from "./state.js";
import { dispatchStateOf } from "./lookup.js";

/** Tallies folded per run; a full batch means more are waiting, so the dispatcher comes back. */
export const TALLY_BATCH = 500;
/** Extra pending jobs read per run while a cancelAll is still canceling (they are skipped). */
const SKIP_LIMIT = 200;

const vEnded = v.object({
  jobId: v.id("jobs"),
  attempt: v.number(),
  /** The job's state now (null: deleted), to count the outcome. */
  state: v.union(vJobState, v.null()),
  expiresAt: v.union(v.number(), v.null()),
});

const vDispatchView = v.object({
  /** Nothing for this run to do: no attempt ended, nothing to fold or start, no timer due. */
  quiet: v.boolean(),
  ended: v.array(vEnded),
  /** Attempts that failed and were re-armed in their slot (a retry that keeps its slot). */
  rearmed: v.array(v.object({ jobId: v.id("jobs"), attempt: v.number(), workerId: v.id("_scheduled_functions") })),
  tallies: v.array(v.object({ id: v.id("tallies"), pending: v.number(), canceled: v.number() })),
  ready: v.array(v.id("jobs")),
  /** Slots stay free and startable jobs may lie past what was read (skipped canceled ones). */
  moreReady: v.boolean(),
  /** The earliest pending job not ready yet (a delayed job or a retry in backoff). */
  nextDelayedAt: v.union(v.number(), v.null()),
});
export type DispatchView = Infer<typeof vDispatchView>;

/**
 * The dispatcher's view of its pool: which running attempts ended, which tallies wait to be
 * folded, which pending jobs could start now, and whether this run has anything to do at all.
 */
export const dispatchView = internalQuery({
  args: { pool: v.id("pools"), now: v.number() },
  returns: v.union(v.null(), vDispatchView),
  handler: async (ctx, { pool: poolId, now }) => {
    const pool = await ctx.db.get(poolId);
    const state = await dispatchStateOf(ctx, poolId);
    if (!pool || !state) return null;
    const ended = [];
    const rearmed = [];
    for (const r of state.running) {
      const job = await ctx.db.get(r.jobId);
      if (job && job.state === "running" && job.attempt === r.attempt) continue;
      if (job && job.state === "running" && job.attempt > r.attempt && job.workerId) {
        rearmed.push({ jobId: r.jobId, attempt: job.attempt, workerId: job.workerId });
        continue;
      }
      ended.push({ jobId: r.jobId, attempt: r.attempt, state: job?.state ?? null, expiresAt: job?.expiresAt ?? null });
    }
    const tallies = await ctx.db
      .query("tallies")
      .withIndex("by_pool", (q) => q.eq("pool", poolId))
      .take(TALLY_BATCH);
    const free = pool.maxParallelism - (state.running.length - ended.length);
    const { ready, moreReady } = await readyJobs(ctx, poolId, free, pool.canceledBefore, now);
    const delayed = await ctx.db
      .query("jobs")
      .withIndex("by_pool_state_ready", (q) => q.eq("pool", poolId).eq("state", "pending").gt("readyAt", now))
      .first();
    const timerDue = [state.timer?.at, state.confirmAt, state.watchdogAt].some((t) => t !== undefined && t <= now);
    const expiryDue = state.nextExpiryAt === undefined || (state.nextExpiryAt !== null && state.nextExpiryAt <= now);
    const shortJobsInFlight = state.running.some((r) => r.kind !== "action");
    const quiet =
      ended.length === 0 &&
      rearmed.length === 0 &&
      tallies.length === 0 &&
      ready.length === 0 &&
      !moreReady &&
      !timerDue &&
      !expiryDue &&
      !shortJobsInFlight &&
      state.wakeAt !== undefined;
    return {
      quiet,
      ended,
      rearmed,
      tallies: tallies.map((t) => ({ id: t._id, pending: t.pending, canceled: t.canceled })),
      ready,
      moreReady,
      nextDelayedAt: delayed?.readyAt ?? null,
    };
  },
});

/**
 * The oldest ready pending jobs, as many as there are free slots. While a cancelAll is still
 * canceling, up to SKIP_LIMIT more are read: those it covers are skipped, never started.
 */
async function readyJobs(
  ctx: QueryCtx,
  pool: Id<"pools">,
  free: number,
  canceledBefore: number | undefined,
  now: number,
) {
  if (free <= 0) return { ready: [], moreReady: false };
  const cutoff = canceledBefore ?? -1;
  const limit = free + (canceledBefore === undefined ? 0 : SKIP_LIMIT);
  const candidates = await ctx.db
    .query("jobs")
    .withIndex("by_pool_state_ready", (q) => q.eq("pool", pool).eq("state", "pending").lte("readyAt", now))
    .take(limit);
  const ready = candidates.filter((job) => job._creationTime > cutoff).slice(0, free);
  return { ready: ready.map((j) => j._id), moreReady: candidates.length === limit && ready.length < free };
}

/**
 * What enqueue needs to know: whether a dispatch run that will see a new job is already on its
 * way (`covered`). Read stale, so an enqueue never retries because the dispatcher wrote.
 */
export const wakeView = internalQuery({
  args: { pool: v.id("pools") },
  returns: v.object({ covered: v.boolean() }),
  handler: async (ctx, { pool }) => {
    const state = await dispatchStateOf(ctx, pool);
    return { covered: state?.wakeAt === 0 };
  },
});
