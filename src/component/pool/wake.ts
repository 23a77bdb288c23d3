/**
 * How the dispatcher wakes next, what it publishes for enqueue, and how enqueue and cancel ask
 * for a dispatch run. See ../README.md, "How the dispatcher wakes".
 */
import type { MutationCtx } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import type { Pool } from "./jobs.js";
import type { Running } from "./tables.js";
import type { Bucket } from "../../shared/flow.js";

/** While jobs run, look this often for scheduled runs that died without reporting. */
export const WATCHDOG_MS = 30_000;
/**
 * How long after the pool stops being "covered" a run looks again. An enqueue reads `wakeAt`
 * from a stale snapshot, so one that began just before the change may have seen "covered" and
 * not scheduled a run; it commits within Convex's mutation time limit (1 s), so a look this
 * much later sees its jobs.
 */
export const CONFIRM_AFTER_MS = 2_000;
/** A recorded timer this far past due is taken to have failed (its run threw) and is replaced. */
const OVERDUE_MS = 60_000;
/** Longest pause between follow-up runs that keep seeing mutation jobs still in flight. */
const MAX_FOLLOW_UP_DELAY_MS = 1_000;

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
  /**
   * The earliest time a waiting job may start, with a slot free: a delayed job or retry (as the
   * view saw it), the pool's next token, a key's next token.
   */
  nextDelayedAt: number | null;
  /** When the next finished job expires, or null. */
  nextExpiry: number | null;
  /** This run checked running jobs for dead runs. */
  watchdogChecked: boolean;
  /** Set when this run is the dispatcher's own timer: the time it was armed for. */
  firedAt: number | undefined;
  now: number;
  /** The pool's rate-limit bucket after this run's starts. */
  bucket?: Bucket;
  /**
   * Set when the pool's bucket is empty with jobs still in line: when its next token is due.
   * Nothing can start before then, whatever ends meanwhile.
   */
  nextTokenAt?: number | null;
  /** This run saw a concurrency key. */
  keyed: boolean;
}

/** What a dispatch run saw, as far as the choice of its next wake-up depends on it. */
export type WakeInput = Pick<
  RunOutcome,
  "progress" | "moreWork" | "nextDelayedAt" | "nextExpiry" | "watchdogChecked" | "now" | "nextTokenAt"
> & {
  /** Jobs running after this run (only their number and kinds matter). */
  running: Pick<Running, "kind">[];
  maxParallelism: number;
  /** The dispatcher's state as this run found it. */
  state: Pick<State, "idleFollowUps" | "wakeAt" | "confirmAt" | "watchdogAt">;
};

/** When the dispatcher runs next, and what it stores and publishes for enqueue. */
export interface WakePlan {
  /** A follow-up run, while mutation or query jobs are in flight or work was left over. */
  followUpAt: number | undefined;
  /** Follow-up runs in a row that saw no progress (sets the follow-ups' backoff). */
  idleFollowUps: number;
  /** A run that will see new jobs is on its way, so enqueue need not schedule one. */
  covered: boolean;
  /** Published for enqueue: 0 when covered, else null. */
  wakeAt: 0 | null;
  /** A run to look again after the pool stopped being covered (see CONFIRM_AFTER_MS). */
  confirmAt: number | undefined;
  /** A run to look for dead runs, while jobs run. */
  watchdogAt: number | undefined;
  /** The one self-scheduled run: the earliest of the times above, a delayed job and an expiry. */
  timerAt: number | null;
}

/**
 * The pure part of decideNextWake: from what a run saw, when the dispatcher must run next.
 * @param r the run's outcome, the pool's maxParallelism and the dispatcher's state before the run
 * @returns the times to store and the one the timer is armed for
 */
export function planWake(r: WakeInput): WakePlan {
  const { state, running, now } = r;
  const shortJobsInFlight = running.some((j) => j.kind !== "action");
  const idleFollowUps = r.progress ? 0 : state.idleFollowUps + 1;
  // Mutation and query jobs finish within a second: look again right after them (the scheduler
  // runs this after the workers scheduled before it) rather than having each completion wake
  // us. If they are late (scheduler lag), back off.
  const shortFollowUpAt = now + (idleFollowUps === 0 ? 0 : Math.min(2 ** idleFollowUps * 5, MAX_FOLLOW_UP_DELAY_MS));
  // Out of tokens, nothing starts before the next one: when it is due soon, the follow-up waits
  // for it, so one run collects these jobs and starts the next (not one run for each).
  const token = r.nextTokenAt ?? undefined;
  const waitForToken = token !== undefined && !r.moreWork && token <= now + MAX_FOLLOW_UP_DELAY_MS;
  const followUpAt = shortJobsInFlight
    ? waitForToken
      ? Math.max(shortFollowUpAt, token)
      : shortFollowUpAt
    : r.moreWork
      ? now
      : undefined;
  const saturated = running.length >= r.maxParallelism;
  const covered = followUpAt !== undefined || (running.length > 0 && saturated);
  const wakeAt = covered ? 0 : null;
  let confirmAt = state.confirmAt !== undefined && state.confirmAt > now ? state.confirmAt : undefined;
  if (state.wakeAt === 0 && !covered) confirmAt = now + CONFIRM_AFTER_MS;
  const watchdogAt =
    running.length === 0 ? undefined : r.watchdogChecked || state.watchdogAt === undefined ? now + WATCHDOG_MS : state.watchdogAt;

  // One self-scheduled run at a time, at the earliest moment any of these needs one.
  const candidates = [followUpAt, watchdogAt, confirmAt, r.nextExpiry ?? undefined];
  // With a slot free, the next delayed job (or retry) must start on time.
  if (!saturated && r.nextDelayedAt !== null) candidates.push(r.nextDelayedAt);
  const due = candidates.filter((t): t is number => t !== undefined);
  const timerAt = due.length ? Math.min(...due) : null;
  return {
    followUpAt,
    idleFollowUps: shortJobsInFlight ? idleFollowUps : 0,
    covered,
    wakeAt,
    confirmAt,
    watchdogAt,
    timerAt,
  };
}

/**
 * Arms the dispatcher's one timer (for a follow-up, an immediate re-run, the watchdog, a delayed
 * job, a clean-up or a confirm, whichever is first) and writes the dispatcher's state, including
 * `wakeAt` for enqueue: 0 when a run that will see new jobs is on its way (a follow-up, an
 * immediate re-run, or every slot busy so a completion will wake the dispatcher), null otherwise
 * (an enqueue must schedule a run). A single timer also means a second run started by an
 * enqueue or a completion never starts a second chain of follow-ups. The times come from planWake.
 */
export async function decideNextWake(ctx: MutationCtx, r: RunOutcome): Promise<void> {
  const { pool, state, running, now } = r;
  const plan = planWake({ ...r, maxParallelism: pool.maxParallelism });
  // While busy, an earlier timer is harmless (it just looks again); once nothing runs, the
  // timer must be exactly what is still needed, so an idle pool is not woken for nothing.
  const timer = await armTimer(ctx, pool._id, state.timer, plan.timerAt, now, running.length > 0, r.firedAt);

  await ctx.db.patch(state._id, {
    running,
    counts: { ...r.counts, running: running.length },
    timer,
    idleFollowUps: plan.idleFollowUps,
    nextExpiryAt: r.nextExpiry,
    wakeAt: plan.wakeAt,
    confirmAt: plan.confirmAt,
    watchdogAt: plan.watchdogAt,
    bucket: r.bucket,
    ...(r.keyed && !state.keyed ? { keyed: true } : {}),
  });
}

/**
 * Keeps the current timer if it fires when needed (or, if `earlyOk`, sooner); else replaces it.
 * Whether the current timer is still pending is known without reading its scheduler row (a row
 * the scheduler writes as the run starts, which would put every timer run in conflict with its
 * own start): a timer run is told its time (`firedAt`) and always rewrites the timer, so a
 * recorded timer is pending unless this run is it, or it is long overdue (its run failed).
 */
async function armTimer(
  ctx: MutationCtx,
  pool: Id<"pools">,
  current: State["timer"],
  at: number | null,
  now: number,
  earlyOk: boolean,
  firedAt: number | undefined,
): Promise<State["timer"]> {
  const live = current !== undefined && current.at !== firedAt && current.at > now - OVERDUE_MS;
  // A timer already due may be starting right now: let it run (it just looks again), and only
  // cancel one still in the future.
  const cancelable = live && current!.at > now;
  if (at === null) {
    if (cancelable) await ctx.scheduler.cancel(current!.id);
    return undefined;
  }
  if (live && (current!.at === at || (earlyOk && current!.at < at))) return current;
  if (cancelable) await ctx.scheduler.cancel(current!.id);
  const id = await ctx.scheduler.runAt(at, internal.pool.dispatch.dispatch, { pool, timerAt: at });
  return { at, id };
}

/**
 * Makes sure a dispatch run sees jobs that become ready at `at`: unless one that will is
 * already on its way, schedules one. Reads the dispatcher's published state through a stale
 * snapshot and writes nothing but the scheduled run, so it conflicts with no one: used inside
 * the caller's own mutation (enqueue) and by cancel.
 */
export async function requestDispatch(ctx: MutationCtx, pool: Id<"pools">, at: number): Promise<void> {
  const { covered } = await ctx.runQuery(internal.pool.view.wakeView, { pool }, { useStaleSnapshot: true });
  if (covered) return;
  await ctx.scheduler.runAt(at, internal.pool.dispatch.dispatch, { pool });
}
