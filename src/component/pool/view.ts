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
import { expiryOf } from "./jobs.js";
import { dispatchStateOf } from "./lookup.js";
import { anyOpenKey, readKeys, runningByKey, vKeyView } from "./keys.js";
import { nextTokenAt, tokensAt } from "../../shared/flow.js";

/** Tallies folded per run; a full batch means more are waiting, so the dispatcher comes back. */
export const TALLY_BATCH = 500;
/** Extra pending jobs read per run while a cancelAll is still canceling (they are skipped). */
const SKIP_LIMIT = 200;
/** Delayed jobs given their rank per run (more due come back at once). */
export const PROMOTE_BATCH = 100;
/** Below every rank (ranks are times in ms): the range start that skips jobs without one. */
export const MIN_RANK = -Number.MAX_VALUE;

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
  /** Unkeyed ready jobs, as many as could start, and as many plain delayed jobs now due, with their ranks. */
  ready: v.array(v.object({ id: v.id("jobs"), rank: v.number() })),
  /** Slots stay free and startable jobs may lie past what was read (skipped canceled ones). */
  moreReady: v.boolean(),
  /** Delayed jobs with a key or a priority now due: the run writes their rank (and may start them). */
  due: v.array(v.id("jobs")),
  /** Concurrency keys (see ./keys.ts). */
  keys: vKeyView,
  /** Ready jobs beyond what the pool's rate-limit tokens allow now. */
  waitsForToken: v.boolean(),
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
    const endedIds = new Set<string>();
    const stillRuns = (r: (typeof state.running)[number]) => !endedIds.has(`${r.jobId}:${r.attempt}`);
    for (const r of state.running) {
      const job = await ctx.db.get(r.jobId);
      if (job && job.state === "running" && job.attempt === r.attempt) continue;
      if (job && job.state === "running" && job.attempt > r.attempt) {
        rearmed.push({ jobId: r.jobId, attempt: job.attempt, workerId: job.workerId });
        continue;
      }
      ended.push({ jobId: r.jobId, attempt: r.attempt, state: job?.state ?? null, expiresAt: expiryOf(job) });
      endedIds.add(`${r.jobId}:${r.attempt}`);
    }
    const tallies = await ctx.db
      .query("tallies")
      .withIndex("by_pool", (q) => q.eq("pool", poolId))
      .take(TALLY_BATCH);
    const free = pool.paused ? 0 : pool.maxParallelism - (state.running.length - ended.length);
    // With a pool-wide rate limit, no more can start than there are tokens.
    const budget = pool.rateLimit ? Math.min(free, Math.floor(tokensAt(pool.rateLimit, state.bucket, now) + 1e-9)) : free;
    const { ready, moreReady, beyond } = await readyJobs(ctx, poolId, budget, pool.canceledBefore, budget < free);
    // Delayed jobs now due: plain ones start from here in readyAt order (their rank); those
    // with a key or a priority get their rank written first.
    const dueOf = (promote: true | undefined, limit: number) =>
      ctx.db
        .query("jobs")
        .withIndex("by_pool_state_rank_promote_ready", (q) =>
          q.eq("pool", poolId).eq("state", "pending").eq("rank", undefined).eq("promote", promote).lte("readyAt", now),
        )
        .take(limit);
    const tokenBound = budget < free;
    const plainRead = tokenBound ? await dueOf(undefined, budget + 1) : budget > 0 ? await dueOf(undefined, budget) : [];
    const plainDue = plainRead.slice(0, budget);
    const due = await dueOf(true, PROMOTE_BATCH);
    const delayed = await ctx.db
      .query("jobs")
      .withIndex("by_pool_state_ready", (q) => q.eq("pool", poolId).eq("state", "pending").gt("readyAt", now))
      .first();
    // Keys this run may open: those whose attempts ended, and those with news in the tallies.
    const endedKeys = state.running.filter((r) => r.key !== undefined && !stillRuns(r)).map((r) => r.key!);
    const newsKeys = tallies.flatMap((t) => (t.keys ?? []).filter((n) => n.rank !== undefined || n.paused === false).map((n) => n.key));
    const keyRunning = runningByKey(state.running.filter(stillRuns));
    const keys =
      state.keyed || newsKeys.length > 0
        ? await readKeys(ctx, pool, budget, now, { ended: endedKeys, news: newsKeys }, keyRunning)
        : { open: [], moreOpen: false, lastOpenAt: null, due: [], nextAt: null };
    // Tokens, not slots, hold back jobs that are ready: the run must wake for the next token.
    const waitsForToken =
      tokenBound &&
      (beyond ||
        plainRead.length > budget ||
        due.length > 0 ||
        keys.moreOpen ||
        (budget === 0 && (await anyOpenKey(ctx, pool, keyRunning))));
    const timerDue = [state.timer?.at, state.confirmAt, state.watchdogAt].some((t) => t !== undefined && t <= now);
    // Jobs wait for a token and no timer will come for it (a run that started nothing while the
    // pool was paused armed none): this run must arm one, so it is not quiet.
    const tokenUnwatched =
      waitsForToken && !(state.timer !== undefined && state.timer.at <= nextTokenAt(pool.rateLimit!, state.bucket, now));
    const expiryDue = state.nextExpiryAt === undefined || (state.nextExpiryAt !== null && state.nextExpiryAt <= now);
    const shortJobsInFlight = state.running.some((r) => r.kind !== "action");
    const quiet =
      ended.length === 0 &&
      rearmed.length === 0 &&
      tallies.length === 0 &&
      ready.length === 0 &&
      !moreReady &&
      plainDue.length === 0 &&
      due.length === 0 &&
      keys.open.length === 0 &&
      keys.due.length === 0 &&
      !timerDue &&
      !tokenUnwatched &&
      !expiryDue &&
      !shortJobsInFlight &&
      state.wakeAt !== undefined;
    return {
      quiet,
      ended,
      rearmed,
      tallies: tallies.map((t) => ({ id: t._id, pending: t.pending, canceled: t.canceled })),
      // Both sorted by rank (a plain delayed job's rank is its readyAt): the run merges them.
      // On equal ranks the delayed job, which waited longer, goes first (the run's sort is stable).
      ready: [...plainDue.map((j) => ({ id: j._id, rank: j.readyAt })), ...ready],
      moreReady,
      due: due.map((j) => j._id),
      keys,
      waitsForToken,
      nextDelayedAt: delayed?.readyAt ?? null,
    };
  },
});

/**
 * The first unkeyed ready pending jobs in queue order, as many as could start. While a cancelAll
 * is still canceling, up to SKIP_LIMIT more are read: those it covers are skipped, never started.
 */
async function readyJobs(ctx: QueryCtx, pool: Id<"pools">, budget: number, canceledBefore: number | undefined, peek: boolean) {
  if (budget <= 0 && !peek) return { ready: [], moreReady: false, beyond: false };
  const cutoff = canceledBefore ?? -1;
  const limit = budget + (canceledBefore === undefined ? 0 : SKIP_LIMIT) + (peek ? 1 : 0);
  const candidates = await ctx.db
    .query("jobs")
    .withIndex("by_pool_state_key_rank", (q) =>
      q.eq("pool", pool).eq("state", "pending").eq("key", undefined).gte("rank", MIN_RANK),
    )
    .take(limit);
  const startable = candidates.filter((job) => job._creationTime > cutoff);
  const ready = startable.slice(0, budget);
  return {
    ready: ready.map((j) => ({ id: j._id, rank: j.rank! })),
    moreReady: candidates.length === limit && ready.length < budget,
    beyond: startable.length > budget,
  };
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
