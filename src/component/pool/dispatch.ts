/**
 * The dispatcher: the only writer of a pool's dispatch state. One run:
 *   1. consumes kicks and folds tallies into the counts,
 *   2. settles running jobs that finished (or whose scheduled run died),
 *   3. starts ready pending jobs, oldest first, into free slots,
 *   4. cleans up a bounded batch of expired finished jobs,
 *   5. decides how it will next wake: a follow-up (mutation jobs in flight), a kick from a
 *      completion, an enqueue, or its own timer (watchdog, delayed jobs, cleanup).
 * Every read is bounded by maxParallelism or a constant, never by the queue's length.
 */
import { v } from "convex/values";
import { internalMutation, type MutationCtx } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import { createLogger } from "../../shared/logging.js";
import { finish, transition, type Pool } from "./jobs.js";

/** While jobs run, look at least this often for scheduled runs that died without reporting. */
export const WATCHDOG_MS = 30_000;
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
/** Follow-ups with no progress before the dispatcher waits for kicks instead of polling. */
const MAX_IDLE_FOLLOW_UPS = 3;
/** Pending jobs skipped (cancelAll in progress) per run, at most. */
const SKIP_LIMIT = 200;

type State = Doc<"dispatchState">;
type Running = State["running"][number];

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
    const moreTallies = await foldTallies(ctx, pool._id, counts);
    const { stillRunning, settled } = await settleRunning(ctx, pool, state.running, counts, now);
    const started = await startReady(ctx, pool, stillRunning, counts, now);
    const running = [...stillRunning, ...started];
    await cleanupExpired(ctx, pool._id, now);
    const progress = settled + started.length > 0;
    await decideNextWake(ctx, pool, state, running, counts, progress || moreTallies, now, moreTallies);
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
    if (job.state === "pending" || job.state === "running") counts.pending++;
    else if (job.state === "succeeded") counts.succeeded++;
    else if (job.state === "failed") counts.failed++;
    else if (job.state === "canceled") counts.canceled++;
  }
  return { stillRunning, settled };
}

/** Starts the oldest ready jobs into free slots: marks each running and schedules its worker. */
async function startReady(ctx: MutationCtx, pool: Pool, running: Running[], counts: State["counts"], now: number) {
  const free = pool.maxParallelism - running.length;
  const started: Running[] = [];
  if (free <= 0) return started;
  const cutoff = pool.canceledBefore ?? -1;
  let skipped = 0;
  const ready = ctx.db
    .query("jobs")
    .withIndex("by_pool_state_ready", (q) => q.eq("pool", pool._id).eq("state", "pending").lte("readyAt", now));
  for await (const job of ready) {
    if (job._creationTime <= cutoff) {
      if (++skipped >= SKIP_LIMIT) break; // cancelAll is finishing these off
      continue;
    }
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
    if (started.length >= free) break;
  }
  return started;
}

async function cleanupExpired(ctx: MutationCtx, pool: Id<"pools">, now: number) {
  const expired = await ctx.db
    .query("jobs")
    .withIndex("by_pool_expiry", (q) => q.eq("pool", pool).gt("expiresAt", 0).lte("expiresAt", now))
    .take(CLEANUP_BATCH);
  for (const job of expired) await ctx.db.delete(job._id);
}

/**
 * Chooses how the dispatcher wakes next and publishes it on the pool document, writing that
 * document only when the published values change (so busy pools don't conflict with enqueues).
 */
async function decideNextWake(
  ctx: MutationCtx,
  pool: Pool,
  state: State,
  running: Running[],
  counts: State["counts"],
  progress: boolean,
  now: number,
  moreToFold: boolean,
) {
  const shortJobsInFlight = running.some((r) => r.kind !== "action");
  const idleFollowUps = progress ? 0 : state.idleFollowUps + 1;
  const followUp = shortJobsInFlight && idleFollowUps <= MAX_IDLE_FOLLOW_UPS;
  if (followUp) {
    // Mutation and query jobs finish within a second; look again right after them rather
    // than having each completion kick us (which would be one dispatch per job).
    await ctx.scheduler.runAfter(idleFollowUps === 0 ? 0 : 2 ** idleFollowUps * 5, internal.pool.dispatch.dispatch, {
      pool: pool._id,
    });
  }
  const saturated = running.length >= pool.maxParallelism;
  const readyNow = moreToFold || (!saturated && (await hasReadyPending(ctx, pool, now)));
  if (readyNow && !followUp) {
    // Skipped jobs (cancelAll), the per-run limit or unfolded tallies left work: come back at once.
    await ctx.scheduler.runAfter(0, internal.pool.dispatch.dispatch, { pool: pool._id });
  }
  const timerAt = await nextTimer(ctx, pool, running, saturated, now);
  // While busy, an earlier timer is harmless (it just looks again); once nothing runs, the
  // timer must be exactly what is still needed, so an idle pool is not woken for nothing.
  const timer = await armTimer(ctx, pool._id, state.timer, timerAt, now, running.length > 0);

  const covered = followUp || readyNow || (running.length > 0 && saturated);
  const wakeAt = covered ? 0 : (timer?.at ?? null);
  const kickOnComplete = running.length > 0 && !followUp;
  if (pool.wakeAt !== wakeAt || pool.kickOnComplete !== kickOnComplete) {
    await ctx.db.patch(pool._id, { wakeAt, kickOnComplete });
  }
  await ctx.db.patch(state._id, {
    running,
    counts: { ...counts, running: running.length },
    timer,
    idleFollowUps: followUp ? idleFollowUps : 0,
  });
}

async function hasReadyPending(ctx: MutationCtx, pool: Pool, now: number) {
  const job = await ctx.db
    .query("jobs")
    .withIndex("by_pool_state_ready", (q) => q.eq("pool", pool._id).eq("state", "pending").lte("readyAt", now))
    .first();
  return job !== null && job._creationTime > (pool.canceledBefore ?? -1);
}

/** The earliest moment the dispatcher must look again on its own. */
async function nextTimer(ctx: MutationCtx, pool: Pool, running: Running[], saturated: boolean, now: number) {
  const candidates: number[] = [];
  if (running.length > 0) candidates.push(now + WATCHDOG_MS);
  if (!saturated) {
    const delayed = await ctx.db
      .query("jobs")
      .withIndex("by_pool_state_ready", (q) => q.eq("pool", pool._id).eq("state", "pending").gt("readyAt", now))
      .first();
    if (delayed) candidates.push(delayed.readyAt);
  }
  const expiring = await ctx.db
    .query("jobs")
    .withIndex("by_pool_expiry", (q) => q.eq("pool", pool._id).gt("expiresAt", 0))
    .first();
  if (expiring?.expiresAt !== undefined) candidates.push(Math.max(expiring.expiresAt, now));
  return candidates.length ? Math.min(...candidates) : null;
}

/** Keeps the current timer if it fires when needed (or, if `earlyOk`, sooner); else replaces it. */
async function armTimer(
  ctx: MutationCtx,
  pool: Id<"pools">,
  current: State["timer"],
  at: number | null,
  now: number,
  earlyOk: boolean,
): Promise<State["timer"]> {
  const live = current && current.at >= now && (await ctx.db.system.get(current.id))?.state.kind === "pending";
  if (at === null) {
    if (live) await ctx.scheduler.cancel(current!.id);
    return undefined;
  }
  if (live && (current!.at === at || (earlyOk && current!.at < at))) return current;
  if (live) await ctx.scheduler.cancel(current!.id);
  const id = await ctx.scheduler.runAt(at, internal.pool.dispatch.dispatch, { pool });
  return { at, id };
}
