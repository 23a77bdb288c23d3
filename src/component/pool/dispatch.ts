/**
 * The dispatcher: the only writer of a pool's dispatch state. One run:
 *   0. looks at the pool through a stale snapshot (./view.ts) and returns at once when there is
 *      nothing to do, having read nothing for real (so it cannot conflict with anyone);
 *   1. folds tallies into the counts,
 *   2. settles running attempts that ended (and, when the watchdog is due, runs that died),
 *   3. starts ready pending jobs, oldest first, into free slots (./start.ts),
 *   4. cleans up a bounded batch of expired finished jobs, when one is due,
 *   5. decides how it will next wake and what it publishes for enqueue (./wake.ts).
 * Every read is bounded by maxParallelism or a constant, never by the queue's length.
 *
 * `dispatch`, the function everything schedules, is a thin shell around the run (`run`): it calls
 * it as a nested mutation, so a run that throws (a bug, a transaction limit) rolls back only its
 * own writes; the shell logs the failure and schedules a retry with backoff, so no pool waits
 * forever on a timer or a follow-up that rolled back with the run.
 */
import { v } from "convex/values";
import { internalMutation, type MutationCtx } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import { createLogger } from "../../shared/logging.js";
import { expiryOf, finish, type Pool } from "./jobs.js";
import { startReady, type StartPlan } from "./start.js";
import { TALLY_BATCH, type DispatchView } from "./view.js";
import { dispatchStateOf } from "./lookup.js";
import type { Running } from "./tables.js";
import { decideNextWake } from "./wake.js";
import { reportPool } from "./events.js";
import { KeyBook } from "./keys.js";
import { nextTokenAt, take, tokensAt } from "../../shared/flow.js";
import { PROMOTE_BATCH } from "./view.js";

/** A run is only suspected dead once it has been running this long (checked by the watchdog). */
const SUSPECT_AFTER_MS = 1_000;
/** Key news (one key read and written each) folded per dispatch run; one tally holds at most this many. */
const KEY_NEWS_BATCH = 1_000;
/** Expired jobs deleted per dispatch run. */
const CLEANUP_BATCH = 100;

type State = Doc<"dispatchState">;
type Counts = State["counts"];

/** First retry of a dispatch run that threw; doubles per consecutive failure, up to the max. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 30_000;
/**
 * The run's own limits, a fifth below Convex's: a run that would exceed one fails as a nested
 * transaction, leaving the shell room to log it and schedule the retry.
 */
const RUN_LIMITS = {
  documentsRead: 25_600,
  bytesRead: 13_421_772,
  documentsWritten: 12_800,
  bytesWritten: 13_421_772,
  databaseQueries: 3_276,
  functionsScheduled: 800,
};

/**
 * A dispatch run, made safe: the run happens in a nested mutation; if it throws, its writes roll
 * back (the timer it armed included), the error is logged and the dispatch is retried after a
 * backoff. `failures` counts the consecutive failures of this chain (unset: none; dispatch runs
 * scheduled by older versions pass only `pool`).
 */
export const dispatch = internalMutation({
  /**
   * `timerAt`: set when this run is the dispatcher's own timer (see armTimer in ./wake.ts).
   * `failures`: consecutive failed runs before this one (a retry after a failure).
   */
  args: { pool: v.id("pools"), timerAt: v.optional(v.number()), failures: v.optional(v.number()) },
  returns: v.null(),
  handler: async (ctx, { pool, timerAt, failures = 0 }) => {
    try {
      await ctx.runMutation(internal.pool.dispatch.run, { pool, timerAt }, { transactionLimits: RUN_LIMITS });
    } catch (e) {
      const poolDoc = await ctx.db.get(pool);
      if (!poolDoc) return null;
      const delayMs = Math.min(RETRY_FIRST_MS * 2 ** failures, RETRY_MAX_MS);
      createLogger(poolDoc.logLevel).error(
        `dispatch run for pool "${poolDoc.name}" failed (${failures + 1} in a row): ${e instanceof Error ? e.message : String(e)}; retrying in ${delayMs} ms`,
      );
      // The failed run's writes rolled back, its timer record included: the retry stands in for it.
      await ctx.scheduler.runAfter(delayMs, internal.pool.dispatch.dispatch, { pool, timerAt, failures: failures + 1 });
    }
    return null;
  },
});

/** One dispatch run (see the module comment). Called only by `dispatch`. */
export const run = internalMutation({
  args: { pool: v.id("pools"), timerAt: v.optional(v.number()) },
  returns: v.null(),
  handler: async (ctx, args) => {
    const now = Date.now();
    const view = await ctx.runQuery(internal.pool.view.dispatchView, { pool: args.pool, now }, { useStaleSnapshot: true });
    if (!view || view.quiet) return null;
    const pool = await ctx.db.get(args.pool);
    const state = await dispatchStateOf(ctx, args.pool);
    if (!pool || !state) return null;
    const counts = { ...state.counts };
    const canceledSoFar = counts.canceled;
    const book = new KeyBook(ctx, pool, now, state.running);
    const moreTallies = await foldTallies(ctx, view.tallies, counts, book);
    const watchdogDue = (state.watchdogAt ?? 0) <= now;
    const { stillRunning, settled, deadSettled, expiries, retryAt } = await settleRunning(ctx, pool, state.running, view, counts, now, watchdogDue, book);
    // Pending jobs canceled since the last run (tallied) expire no later than now + retention.
    if (counts.canceled > canceledSoFar) expiries.push(now + pool.retentionMs);
    const promoted = await promoteDue(ctx, view.due, book, now);
    for (const id of view.keys.due) {
      const entry = await book.byId(id);
      if (entry) book.relane(entry);
    }
    const free = pool.paused ? 0 : pool.maxParallelism - stillRunning.length;
    const tokens = pool.rateLimit ? Math.floor(tokensAt(pool.rateLimit, state.bucket, now) + 1e-9) : Infinity;
    const budget = Math.max(0, Math.min(free, tokens));
    // Stable sort, delayed jobs first: on equal ranks the job that waited longer goes first.
    const unkeyed = [...promoted.unkeyed, ...view.ready].sort((a, b) => a.rank - b.rank);
    const plan = {
      unkeyed,
      keys: view.keys.open,
      promoted: promoted.keyed,
      moreKeys: view.keys.moreOpen,
      lastOpenAt: view.keys.lastOpenAt ?? Infinity,
    };
    const { started, moreReady, left, oldestWaitMs } = await startReady(ctx, pool, plan, book, budget, counts, now);
    // Keys still open have ready jobs this run did not start: keys it opened that were not in the
    // view, keys it served whose next jobs the view did not read, and keys beyond the view's batch
    // when keys it read had nothing to start (their jobs canceled or started already: dropped now,
    // they no longer hide the rest). They need another run: at once if slots and tokens are left;
    // out of tokens, when the next one is due.
    const keysOpen = book.anyOpen;
    const keysLeft = started.length < budget && (plan.moreKeys || keysOpen);
    await promoted.writeRanks(new Set(started.map((r) => r.jobId)));
    const bucket = pool.rateLimit && started.length ? take(pool.rateLimit, state.bucket, started.length, now) : state.bucket;
    // Out of tokens with jobs still in line: wake when the next token is due, not before.
    const tokenWaitAt =
      pool.rateLimit && (left || view.waitsForToken || keysOpen) && tokens <= started.length ? nextTokenAt(pool.rateLimit, bucket, now) : null;
    await book.flush();
    const nextExpiry = await expireFinished(ctx, pool._id, state.nextExpiryAt, expiries, now);
    await decideNextWake(ctx, {
      pool,
      state,
      bucket,
      keyed: book.touched,
      running: [...stillRunning, ...started],
      counts,
      progress: settled + started.length + promoted.count > 0 || moreTallies,
      // Slots the watchdog freed were not free in the view: look again at once to fill them.
      moreWork:
        moreTallies || moreReady || view.moreReady || deadSettled > 0 || promoted.count === PROMOTE_BATCH || view.keys.due.length > 0 || keysLeft,
      nextDelayedAt: earliest(earliest(earliest(view.nextDelayedAt, retryAt), tokenWaitAt), earliest(view.keys.nextAt, book.nextDueAt())),
      nextExpiry,
      nextTokenAt: tokenWaitAt,
      watchdogChecked: watchdogDue,
      firedAt: args.timerAt,
      now,
    });
    await reportPool(ctx, pool, state, counts, oldestWaitMs, now);
    return null;
  },
});

/**
 * Folds the tallies the view saw into the counts, and their news into the keys, and deletes them
 * (re-read: a run may retry).
 */
async function foldTallies(ctx: MutationCtx, tallies: DispatchView["tallies"], counts: Counts, book: KeyBook) {
  let news = 0;
  for (const { id } of tallies) {
    const t = await ctx.db.get(id);
    if (!t) continue;
    // Each piece of key news reads a key: past the batch, the rest waits for the next run.
    news += t.keys?.length ?? 0;
    if (news > KEY_NEWS_BATCH && news > (t.keys?.length ?? 0)) return true;
    counts.pending += t.pending;
    counts.canceled += t.canceled;
    for (const news of t.keys ?? []) await book.news(news);
    await ctx.db.delete(id);
  }
  return tallies.length === TALLY_BATCH;
}

/**
 * Frees the slots of attempts that ended (as the view saw them: an ended attempt stays ended)
 * and counts their outcomes. When the watchdog is due, a job still running for over a second
 * whose scheduled run failed, was canceled, or finished without reporting it, is finished as
 * failed ("ended without completing") and may be retried.
 */
async function settleRunning(
  ctx: MutationCtx,
  pool: Pool,
  running: Running[],
  view: DispatchView,
  counts: Counts,
  now: number,
  watchdogDue: boolean,
  book: KeyBook,
) {
  const ended = new Map(view.ended.map((e) => [`${e.jobId}:${e.attempt}`, e]));
  const rearmed = new Map(view.rearmed.map((e) => [e.jobId, e]));
  const stillRunning: Running[] = [];
  const expiries: number[] = [];
  /** Retries the watchdog scheduled: the view, taken before, does not know them. */
  let retryAt: number | null = null;
  let settled = 0;
  let deadSettled = 0;
  for (const entry of running) {
    // A retry that kept its slot is the same slot under its next attempt.
    const next = rearmed.get(entry.jobId);
    const r = next && next.attempt > entry.attempt ? { ...entry, attempt: next.attempt, workerId: next.workerId } : entry;
    let outcome: { state: Doc<"jobs">["state"] | null; expiresAt: number | null; readyAt?: number } | undefined =
      ended.get(`${r.jobId}:${r.attempt}`);
    if (!outcome && watchdogDue) {
      outcome = await settleIfDead(ctx, pool, r, now);
      if (outcome) deadSettled++;
      if (outcome?.state === "pending") retryAt = earliest(retryAt, outcome.readyAt);
    }
    if (!outcome) {
      stillRunning.push(r);
      continue;
    }
    settled++;
    counts.running--;
    const requeued = outcome.state === "pending" || outcome.state === "running";
    if (r.key !== undefined) await book.release(r.key, requeued);
    if (outcome.expiresAt !== null) expiries.push(outcome.expiresAt);
    if (outcome.state === "pending" || outcome.state === "running") counts.pending++;
    else if (outcome.state !== null) counts[outcome.state]++;
  }
  return { stillRunning, settled, deadSettled, expiries, retryAt };
}

/**
 * Gives delayed jobs that are now due their place in line (rank = readyAt - boost). A keyed job
 * is written at once and announced to its key; unkeyed ones are returned as start candidates,
 * and `writeRanks` writes the rank of those that did not start (a started one needs none).
 */
async function promoteDue(ctx: MutationCtx, due: Id<"jobs">[], book: KeyBook, now: number) {
  const unkeyed: { id: Id<"jobs">; rank: number }[] = [];
  const keyed: StartPlan["promoted"] = [];
  /** Each key's head before this run promoted any of its jobs: its ready jobs' lowest rank. */
  const headBefore = new Map<string, number | null>();
  let count = 0;
  for (const id of due) {
    const job = await ctx.db.get(id);
    if (!job || job.state !== "pending" || job.rank !== undefined || job.readyAt > now) continue;
    count++;
    const rank = job.readyAt - (job.boostMs ?? 0);
    if (job.key === undefined) {
      unkeyed.push({ id, rank });
      continue;
    }
    await ctx.db.patch(id, { rank });
    const before = headBefore.has(job.key) ? headBefore.get(job.key)! : (await book.get(job.key)).doc.headRank;
    headBefore.set(job.key, before);
    await book.announce(job.key, rank);
    keyed.push({ key: job.key, id, rank, headBefore: before });
  }
  const writeRanks = async (started: Set<Id<"jobs">>) => {
    for (const { id, rank } of unkeyed) if (!started.has(id)) await ctx.db.patch(id, { rank });
  };
  return { unkeyed, keyed, count: due.length === PROMOTE_BATCH ? PROMOTE_BATCH : count, writeRanks };
}

function earliest(a: number | null, b: number | null | undefined): number | null {
  return a === null ? (b ?? null) : b === null || b === undefined ? a : Math.min(a, b);
}

/** The watchdog's check of one running attempt: finishes it as failed if its run is gone. */
async function settleIfDead(ctx: MutationCtx, pool: Pool, r: Running, now: number) {
  const job = await ctx.db.get(r.jobId);
  // Re-armed in its slot since the view: still running (the next view reports its attempt).
  if (job?.state === "running" && job.attempt > r.attempt) return undefined;
  if (!job || job.state !== "running" || job.attempt !== r.attempt) {
    return { state: job?.state ?? null, expiresAt: expiryOf(job) };
  }
  if (now - job.startedAt < SUSPECT_AFTER_MS) return undefined;
  const run = await ctx.db.system.get(job.workerId);
  const state = run?.state.kind ?? "missing";
  if (state === "pending" || state === "inProgress") return undefined;
  createLogger(pool.logLevel).warn(
    `job ${job._id} (${job.fnName}) attempt ${job.attempt}: its scheduled run ended without reporting (${state}).`,
  );
  const done = await finish(ctx, job, pool, {
    kind: "failed",
    error: { message: `The ${job.kind}'s scheduled run ended without completing (${state}).` },
  });
  return { state: done.state, expiresAt: expiryOf(done), readyAt: done.readyAt };
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
  const first = expiryOf(await byExpiry().first());
  if (first === null || first > now) return first;
  const expired = await ctx.db
    .query("jobs")
    .withIndex("by_pool_expiry", (q) => q.eq("pool", pool).gt("expiresAt", 0).lte("expiresAt", now))
    .take(CLEANUP_BATCH);
  for (const job of expired) await ctx.db.delete(job._id);
  if (expired.length === CLEANUP_BATCH) return now;
  return expiryOf(await byExpiry().first());
}
