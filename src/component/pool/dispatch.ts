/**
 * The dispatcher: the only writer of a pool's dispatch state. One run:
 *   1. consumes kicks and folds tallies into the counts,
 *   2. settles running jobs that finished (or whose scheduled run died),
 *   3. starts ready pending jobs, oldest first, into free slots,
 *   4. cleans up a bounded batch of expired finished jobs, when one is due,
 *   5. decides how it will next wake (./wake.ts).
 * Every read is bounded by maxParallelism or a constant, never by the queue's length.
 */
import { v } from "convex/values";
import { internalMutation, type MutationCtx } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import { createLogger } from "../../shared/logging.js";
import { finish, transition, type Pool } from "./jobs.js";
import { decideNextWake } from "./wake.js";

/**
 * A run is only suspected dead (and its `_scheduled_functions` row read) once it has been
 * running this long: fresh runs are the common case, and not reading their rows keeps the
 * dispatcher out of the read set of every worker that starts or stops.
 */
const SUSPECT_AFTER_MS = 1_000;
/** Expired jobs deleted per dispatch run. */
const CLEANUP_BATCH = 100;
/** Tallies folded per run; a full batch means more are waiting, so the dispatcher comes back. */
const TALLY_BATCH = 500;
/** Extra pending jobs read per run while a cancelAll is still canceling (they are skipped). */
const SKIP_LIMIT = 200;

type State = Doc<"dispatchState">;
export type Running = State["running"][number];

export const dispatch = internalMutation({
  args: { pool: v.id("pools") },
  returns: v.null(),
  handler: async (ctx, args) => {
    const pool = await ctx.db.get(args.pool);
    const state = await ctx.db
      .query("dispatchState")
      .withIndex("by_pool", (q) => q.eq("pool", args.pool))
      .unique();
    if (!pool || !state) return null;
    const now = Date.now();
    const counts = { ...state.counts };
    await consumeKicks(ctx, pool._id);
    const canceledBefore = counts.canceled;
    const moreTallies = await foldTallies(ctx, pool._id, counts);
    // Pending jobs canceled since the last run (tallied) expire no later than now + retention.
    const canceledPending = counts.canceled > canceledBefore;
    const { stillRunning, settled, expiries } = await settleRunning(ctx, pool, state.running, counts, now);
    if (canceledPending) expiries.push(now + pool.retentionMs);
    const { started, moreReady } = await startReady(ctx, pool, stillRunning, counts, now);
    const nextExpiry = await expireFinished(ctx, pool._id, state.nextExpiryAt, expiries, now);
    await decideNextWake(ctx, {
      pool,
      state,
      running: [...stillRunning, ...started],
      counts,
      progress: settled + started.length > 0 || moreTallies,
      moreWork: moreTallies || moreReady,
      nextExpiry,
      now,
    });
    return null;
  },
});

async function consumeKicks(ctx: MutationCtx, pool: Id<"pools">) {
  const kicks = await ctx.db.query("kicks").withIndex("by_pool", (q) => q.eq("pool", pool)).take(10);
  for (const k of kicks) await ctx.db.delete(k._id);
}

async function foldTallies(ctx: MutationCtx, pool: Id<"pools">, counts: State["counts"]) {
  const tallies = await ctx.db
    .query("tallies")
    .withIndex("by_pool", (q) => q.eq("pool", pool))
    .take(TALLY_BATCH);
  for (const t of tallies) {
    counts.pending += t.pending;
    counts.canceled += t.canceled;
    await ctx.db.delete(t._id);
  }
  return tallies.length === TALLY_BATCH;
}

/**
 * Reads each job this dispatcher started. A job whose attempt ended is counted; one still marked
 * running whose scheduled run failed or vanished is finished as failed (and may be retried).
 */
async function settleRunning(
  ctx: MutationCtx,
  pool: Pool,
  running: Running[],
  counts: State["counts"],
  now: number,
) {
  const stillRunning: Running[] = [];
  const expiries: number[] = [];
  let settled = 0;
  for (const r of running) {
    let job = await ctx.db.get(r.jobId);
    if (job && job.state === "running" && job.attempt === r.attempt) {
      if (now - (job.startedAt ?? 0) < SUSPECT_AFTER_MS) {
        stillRunning.push(r);
        continue;
      }
      const run = await ctx.db.system.get(r.workerId);
      const dead = !run || run.state.kind === "failed" || run.state.kind === "canceled";
      if (!dead) {
        stillRunning.push(r);
        continue;
      }
      createLogger(pool.logLevel).warn(
        `job ${job._id} (${job.fnName}) attempt ${job.attempt}: its scheduled run ended without reporting (${run?.state.kind ?? "missing"}).`,
      );
      job = await finish(ctx, job, pool, {
        kind: "failed",
        error: { message: `The ${job.kind}'s scheduled run ended without completing (${run?.state.kind ?? "missing"}).` },
      });
    }
    settled++;
    counts.running--;
    if (!job) continue;
    if (job.expiresAt !== undefined) expiries.push(job.expiresAt);
    if (job.state === "pending" || job.state === "running") counts.pending++;
    else if (job.state === "succeeded") counts.succeeded++;
    else if (job.state === "failed") counts.failed++;
    else if (job.state === "canceled") counts.canceled++;
  }
  return { stillRunning, settled, expiries };
}

/**
 * Starts the oldest ready jobs into free slots: marks each running and schedules its worker.
 * `moreReady`: slots are still free and startable jobs may lie past what this run read.
 */
async function startReady(ctx: MutationCtx, pool: Pool, running: Running[], counts: State["counts"], now: number) {
  const free = pool.maxParallelism - running.length;
  const started: Running[] = [];
  if (free <= 0) return { started, moreReady: false };
  // Read exactly what can start. While a cancelAll is finishing off its jobs, read up to
  // SKIP_LIMIT more: those are skipped, never started.
  const cutoff = pool.canceledBefore ?? -1;
  const limit = free + (pool.canceledBefore === undefined ? 0 : SKIP_LIMIT);
  const candidates = await ctx.db
    .query("jobs")
    .withIndex("by_pool_state_ready", (q) => q.eq("pool", pool._id).eq("state", "pending").lte("readyAt", now))
    .take(limit);
  const startable = candidates.filter((job) => job._creationTime > cutoff).slice(0, free);
  // Slots left free after a full read: the read was mostly skipped jobs, and more may follow.
  const moreReady = candidates.length === limit && startable.length < free;
  for (const job of startable) {
    const attempt = job.attempt + 1;
    const workerId =
      job.kind === "action"
        ? await ctx.scheduler.runAfter(0, internal.pool.worker.runActionJob, {
            jobId: job._id,
            attempt,
            fnHandle: job.fnHandle,
            args: job.args,
          })
        : await ctx.scheduler.runAfter(0, internal.pool.worker.runMutationJob, { jobId: job._id, attempt });
    await transition(ctx, job, "running", { attempt, workerId, startedAt: now });
    started.push({ jobId: job._id, attempt, workerId, kind: job.kind });
    counts.pending--;
    counts.running++;
  }
  return { started, moreReady };
}

/**
 * Retention. The dispatcher remembers when the next finished job expires (`known`, undefined if
 * it does not know), lowered by the expiries of jobs it saw finish this run. Only when that time
 * has come (or is unknown) does it look at the index and delete, so most runs read nothing here.
 */
async function expireFinished(
  ctx: MutationCtx,
  pool: Id<"pools">,
  known: number | null | undefined,
  newExpiries: number[],
  now: number,
): Promise<number | null> {
  let next = known;
  for (const e of newExpiries) next = next === undefined ? undefined : next === null ? e : Math.min(next, e);
  if (next === undefined || (next !== null && next <= now)) return await cleanupExpired(ctx, pool, now);
  return next;
}

/**
 * Deletes a batch of finished jobs whose retention ended. Returns when the next one expires
 * (now, if more are due than one batch), or null if no finished job is left. Usually one read.
 */
async function cleanupExpired(ctx: MutationCtx, pool: Id<"pools">, now: number): Promise<number | null> {
  const byExpiry = () =>
    ctx.db.query("jobs").withIndex("by_pool_expiry", (q) => q.eq("pool", pool).gt("expiresAt", 0));
  const first = await byExpiry().first();
  if (!first || first.expiresAt! > now) return first?.expiresAt ?? null;
  const expired = await ctx.db
    .query("jobs")
    .withIndex("by_pool_expiry", (q) => q.eq("pool", pool).gt("expiresAt", 0).lte("expiresAt", now))
    .take(CLEANUP_BATCH);
  for (const job of expired) await ctx.db.delete(job._id);
  if (expired.length === CLEANUP_BATCH) return now;
  const next = await byExpiry().first();
  return next?.expiresAt ?? null;
}

