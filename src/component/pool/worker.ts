/**
 * Workers: where a job's attempt ends. A worker writes only its own jobs' documents and schedules
 * a dispatch run; it reads nothing the dispatcher writes. So a worker, which runs the user's job
 * and onComplete, never retries because of the pool's own bookkeeping.
 */
import type { FunctionHandle } from "convex/server";
import { v } from "convex/values";
import { internalAction, internalMutation, type MutationCtx } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import type { Id } from "../_generated/dataModel.js";
import type { JobError } from "../../shared/validators.js";
import { attemptAction, finish, toJobError, transition, vAttemptOutcome, type Job, type KeepSlot, type Outcome, type Pool } from "./jobs.js";

/**
 * Runs a mutation or query job inside this transaction, so the job's writes, its result and its
 * onComplete commit together or not at all. A throwing job rolls back only its own writes. The
 * dispatcher's follow-up run, scheduled right after this worker, sees it finished: no wake-up
 * needed from here.
 */
export const runMutationJob = internalMutation({
  args: { jobId: v.id("jobs"), attempt: v.number() },
  returns: v.null(),
  handler: async (ctx, { jobId, attempt }) => {
    const job = await ctx.db.get(jobId);
    if (!job || job.state !== "running" || job.attempt !== attempt) return null;
    const pool = (await ctx.db.get(job.pool))!;
    let outcome: Outcome;
    try {
      const returnValue =
        job.kind === "query"
          ? await ctx.runQuery(job.fnHandle as FunctionHandle<"query">, job.args)
          : await ctx.runMutation(job.fnHandle as FunctionHandle<"mutation">, job.args);
      outcome = { kind: "success", returnValue };
    } catch (e) {
      outcome = { kind: "failed", error: toJobError(e) };
    }
    await finish(ctx, job, pool, outcome);
    return null;
  },
});

/**
 * Records the outcomes of action attempts (from a runner), running each job's onComplete, then
 * schedules one dispatch run to fill the freed slots. An outcome for an attempt that is no longer
 * the job's current one (canceled, or already failed by the watchdog) is ignored.
 */
export const complete = internalMutation({
  args: {
    outcomes: v.optional(v.array(vAttemptOutcome)),
    // Legacy (before 0.2): one outcome per call, from a per-job worker that was already running
    // old code when the new version was pushed. Without these its outcome would be refused.
    jobId: v.optional(vAttemptOutcome.fields.jobId),
    attempt: v.optional(v.number()),
    outcome: v.optional(vAttemptOutcome.fields.outcome),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    const { jobId, attempt, outcome } = args;
    const outcomes = args.outcomes ?? (jobId && attempt !== undefined && outcome ? [{ jobId, attempt, outcome }] : []);
    const pools = new Map<Id<"pools">, Pool | null>();
    const toWake = new Set<Id<"pools">>();
    const retries: Retry[] = [];
    const keepSlot: KeepSlot = (job, at, lastError) => retries.push({ job, at, lastError });
    for (const { jobId, attempt, outcome } of outcomes) {
      const job = await ctx.db.get(jobId);
      if (!job || job.state !== "running" || job.attempt !== attempt) continue;
      const pool = await poolOf(ctx, pools, job.pool);
      if (!pool) continue;
      const kept = retries.length;
      await finish(ctx, job, pool, outcome, keepSlot);
      // A retry that keeps its slot frees nothing: no dispatch run needed for it.
      if (retries.length === kept) toWake.add(pool._id);
    }
    await armRetries(ctx, retries);
    // Scheduling is an insert: unlike reading whether a dispatch is pending, it cannot conflict.
    for (const pool of toWake) await ctx.scheduler.runAfter(0, internal.pool.dispatch.dispatch, { pool });
    return null;
  },
});

type Retry = { job: Job; at: number; lastError: JobError };

/**
 * Arms retries that keep their slot: the next attempt is marked running now (one write) and
 * one runner is scheduled per pool and due time, so retries that fell due together (no jitter)
 * share a runner as their first attempts did.
 */
async function armRetries(ctx: MutationCtx, retries: Retry[]) {
  const groups = new Map<string, Retry[]>();
  for (const r of retries) {
    const key = `${r.job.pool}:${r.at}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const group of groups.values()) {
    const { job, at } = group[0];
    const jobs = group.map((r) => ({ jobId: r.job._id, attempt: r.job.attempt + 1 }));
    const workerId = await ctx.scheduler.runAt(at, internal.pool.runner.runActions, { pool: job.pool, jobs });
    for (const [i, r] of group.entries()) {
      await transition(ctx, r.job, "running", { attempt: jobs[i].attempt, readyAt: at, startedAt: at, workerId, lastError: r.lastError });
    }
  }
}

async function poolOf(ctx: MutationCtx, cache: Map<Id<"pools">, Pool | null>, id: Id<"pools">) {
  if (!cache.has(id)) cache.set(id, await ctx.db.get(id));
  return cache.get(id)!;
}

/**
 * Legacy (before 0.2): a wrapper action per job. Workers scheduled by an older version still
 * arrive here after an upgrade; they run their job and report through `complete` as runners do.
 */
export const runActionJob = internalAction({
  args: { jobId: v.id("jobs"), attempt: v.number(), fnHandle: v.string(), args: v.any() },
  returns: v.null(),
  handler: async (ctx, { jobId, attempt, fnHandle, args }) => {
    const outcome = await attemptAction(ctx, fnHandle, args);
    await ctx.runMutation(internal.pool.worker.complete, { outcomes: [{ jobId, attempt, outcome }] });
    return null;
  },
});
