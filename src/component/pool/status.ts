/** Read-only views: a job's status and a pool's counts. Queries never conflict with writers. */
import { v } from "convex/values";
import { query, type QueryCtx } from "../_generated/server.js";
import { dispatchStateOf, jobOfPool, poolByName } from "./lookup.js";
import type { Doc } from "../_generated/dataModel.js";
import { vJobStatus, type JobStatus } from "../../shared/validators.js";
import { vCounts } from "./tables.js";
import { jobName, type Job, type JobIn } from "./jobs.js";

export { vJobStatus, type JobStatus } from "../../shared/validators.js";

/** Unfolded tallies `stats` adds in; beyond this, `pending` lags until the dispatcher catches up. */
const STATS_TALLY_LIMIT = 2000;

async function statusOf(ctx: QueryCtx, pool: string, jobId: string, label?: string): Promise<JobStatus | null> {
  const found = await jobOfPool(ctx, pool, jobId, label);
  if (!found) return null;
  const { job } = found;
  const lastError = job.lastError;
  const name = jobName(job);
  if (job.state === "pending") {
    const dedupe = liveKey(job);
    return { state: "pending", name, attempt: job.attempt, readyAt: job.readyAt, lastError, key: job.key, paused: await pausedFor(ctx, found.pool, job.key), dedupe };
  }
  // A retry that kept its slot: the next attempt is armed for readyAt; to the user it waits.
  if (job.state === "running" && job.readyAt > Date.now()) {
    return { state: "pending", name, attempt: job.attempt - 1, readyAt: job.readyAt, lastError, dedupe: liveKey(job) };
  }
  if (job.state === "running") {
    return {
      state: "running",
      name,
      attempt: job.attempt,
      startedAt: job.startedAt,
      lastError,
      cancelRequested: job.cancelRequested,
      dedupe: liveKey(job),
    };
  }
  return {
    state: "finished",
    name,
    attempt: job.attempt,
    result: job.result,
    finishedAt: job.finishedAt,
    lastError,
    callbackError: job.callbackError,
  };
}

/** The key a live job holds (its stored key less the "dedupe:"/"debounce:" namespace). */
function liveKey(job: JobIn<"pending" | "running">): { key: string; mode: NonNullable<Job["dedupeMode"]> } | undefined {
  if (job.dedupeKey === undefined || job.dedupeMode === undefined) return undefined;
  return { key: job.dedupeKey.slice(job.dedupeKey.indexOf(":") + 1), mode: job.dedupeMode };
}

/** True when the pool, or the job's key, is paused (else undefined, to keep statuses short). */
async function pausedFor(ctx: QueryCtx, pool: Doc<"pools">, key: string | undefined): Promise<true | undefined> {
  if (pool.paused || pool.maxParallelism === 0) return true;
  if (key === undefined) return undefined;
  const doc = await ctx.db
    .query("keys")
    .withIndex("by_pool_key", (q) => q.eq("pool", pool._id).eq("key", key))
    .unique();
  return doc?.paused ? true : undefined;
}

/** A job's status; null if it is gone or belongs to another pool. See ./lookup.ts. */
export const status = query({
  args: { pool: v.string(), jobId: v.string() },
  returns: v.union(vJobStatus, v.null()),
  handler: (ctx, { pool, jobId }) => statusOf(ctx, pool, jobId),
});

/** Statuses of several jobs of one pool, in order (null for gone or foreign ones). */
export const statusBatch = query({
  args: { pool: v.string(), jobIds: v.array(v.string()) },
  returns: v.array(v.union(vJobStatus, v.null())),
  handler: (ctx, { pool, jobIds }) => Promise.all(jobIds.map((id, i) => statusOf(ctx, pool, id, `jobIds[${i}]`))),
});

/**
 * Counts for one pool: pending (delayed and retrying included), running, and the totals of jobs
 * that succeeded, failed or were canceled since the pool was created. Reads two documents plus
 * the tallies not yet folded in (the dispatcher folds up to 500 per run and comes back for
 * more), at most STATS_TALLY_LIMIT of them, so the read stays bounded under any enqueue rate.
 */
export const vPoolStats = v.object({
  ...vCounts.fields,
  /** Set while the pool is paused (`pause`, or `configure` with maxParallelism 0). */
  paused: v.optional(v.boolean()),
});

export const stats = query({
  args: { pool: v.string() },
  returns: vPoolStats,
  handler: async (ctx, args) => {
    const pool = await poolByName(ctx, args.pool);
    const empty = { pending: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };
    if (!pool) return empty;
    const state = await dispatchStateOf(ctx, pool._id);
    const counts = { ...(state?.counts ?? empty) };
    const tallies = await ctx.db
      .query("tallies")
      .withIndex("by_pool", (q) => q.eq("pool", pool._id))
      .take(STATS_TALLY_LIMIT);
    for (const t of tallies) {
      counts.pending += t.pending;
      counts.canceled += t.canceled;
    }
    return pool.paused || pool.maxParallelism === 0 ? { ...counts, paused: true } : counts;
  },
});
