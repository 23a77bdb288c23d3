/**
 * How the dispatcher wakes next, and what it publishes on the pool document so that enqueues and
 * completions know whether they must wake it. See ../README.md, "How the dispatcher wakes".
 */
import type { MutationCtx } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import type { Pool } from "./jobs.js";
import type { Running } from "./dispatch.js";

/** While jobs run, look at least this often for scheduled runs that died without reporting. */
export const WATCHDOG_MS = 30_000;
/** Follow-ups with no progress before the dispatcher waits for kicks instead of polling. */
const MAX_IDLE_FOLLOW_UPS = 3;

type State = Doc<"dispatchState">;

export interface RunOutcome {
  pool: Pool;
  state: State;
  /** Jobs running after this run. */
  running: Running[];
  counts: State["counts"];
  /** This run settled or started something. */
  progress: boolean;
  /** Work was left for another run right away (tallies to fold, ready jobs skipped). */
  moreWork: boolean;
  /** When the next finished job expires, or null. */
  nextExpiry: number | null;
  now: number;
}

/**
 * Schedules the next run (a follow-up, an immediate re-run or the timer) and writes the pool
 * document only when the published values change, so a busy pool doesn't conflict with enqueues.
 */
export async function decideNextWake(ctx: MutationCtx, r: RunOutcome): Promise<void> {
  const { pool, state, running, now } = r;
  const shortJobsInFlight = running.some((j) => j.kind !== "action");
  const idleFollowUps = r.progress ? 0 : state.idleFollowUps + 1;
  const followUp = shortJobsInFlight && idleFollowUps <= MAX_IDLE_FOLLOW_UPS;
  if (followUp) {
    // Mutation and query jobs finish within a second; look again right after them rather
    // than having each completion kick us (which would be one dispatch per job).
    const delay = idleFollowUps === 0 ? 0 : 2 ** idleFollowUps * 5;
    await ctx.scheduler.runAfter(delay, internal.pool.dispatch.dispatch, { pool: pool._id });
  } else if (r.moreWork) {
    await ctx.scheduler.runAfter(0, internal.pool.dispatch.dispatch, { pool: pool._id });
  }
  const saturated = running.length >= pool.maxParallelism;
  const timerAt = await nextTimer(ctx, r, saturated);
  // While busy, an earlier timer is harmless (it just looks again); once nothing runs, the
  // timer must be exactly what is still needed, so an idle pool is not woken for nothing.
  const timer = await armTimer(ctx, pool._id, state.timer, timerAt, now, running.length > 0);

  const covered = followUp || r.moreWork || (running.length > 0 && saturated);
  const wakeAt = covered ? 0 : (timer?.at ?? null);
  const kickOnComplete = running.length > 0 && !followUp;
  if (pool.wakeAt !== wakeAt || pool.kickOnComplete !== kickOnComplete) {
    await ctx.db.patch(pool._id, { wakeAt, kickOnComplete });
  }
  await ctx.db.patch(state._id, {
    running,
    counts: { ...r.counts, running: running.length },
    timer,
    idleFollowUps: followUp ? idleFollowUps : 0,
    nextExpiryAt: r.nextExpiry,
  });
}

/** The earliest moment the dispatcher must look again on its own. */
async function nextTimer(ctx: MutationCtx, r: RunOutcome, saturated: boolean) {
  const candidates: number[] = [];
  if (r.running.length > 0) candidates.push(r.now + WATCHDOG_MS);
  if (!saturated) {
    // With a slot free, the next delayed job (or retry) must start on time.
    const delayed = await ctx.db
      .query("jobs")
      .withIndex("by_pool_state_ready", (q) => q.eq("pool", r.pool._id).eq("state", "pending").gt("readyAt", r.now))
      .first();
    if (delayed) candidates.push(delayed.readyAt);
  }
  if (r.nextExpiry !== null) candidates.push(r.nextExpiry);
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
