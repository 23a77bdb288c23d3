/**
 * The action runner: one scheduled action runs every action job that one dispatch run started.
 * Per batch that is one scheduled run, one claim query and, when jobs end together, one
 * completion transaction, instead of a wrapper action per job: an action job costs its own action
 * (called with ctx.runAction) plus its share of the batch's bookkeeping.
 *
 * A runner that dies mid-batch (a deploy, a crash) leaves its unreported jobs running; the
 * dispatcher's watchdog sees the runner's scheduled run ended and fails those attempts, which
 * then retry by their policy. Convex runs a scheduled action at most once, so no attempt runs twice.
 */
import { v } from "convex/values";
import { internalAction, internalQuery, type ActionCtx } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import { toJobError } from "../../shared/errors.js";
import { createLogger } from "../../shared/logging.js";
import { attemptAction, type AttemptOutcome } from "./jobs.js";

/** Outcomes recorded per completion transaction (each may run an onComplete). */
export const COMPLETE_BATCH = 50;

const vAttempt = v.object({ jobId: v.id("jobs"), attempt: v.number() });

/**
 * Which of a batch's attempts should run now, with what they run. An attempt canceled before
 * the runner got to it is dropped (a canceled job never starts); one whose cancel was requested
 * while the runner was starting is reported back as canceled, so its slot is released.
 */
export const claim = internalQuery({
  args: { jobs: v.array(vAttempt) },
  returns: v.object({
    run: v.array(v.object({ jobId: v.id("jobs"), attempt: v.number(), fnHandle: v.string(), args: v.any() })),
    canceled: v.array(vAttempt),
  }),
  handler: async (ctx, { jobs }) => {
    const run = [];
    const canceled = [];
    for (const { jobId, attempt } of jobs) {
      const job = await ctx.db.get(jobId);
      if (!job || job.state !== "running" || job.attempt !== attempt) continue;
      if (job.cancelRequested) canceled.push({ jobId, attempt });
      else run.push({ jobId, attempt, fnHandle: job.fnHandle, args: job.args });
    }
    return { run, canceled };
  },
});

/** Runs a batch of action jobs concurrently and reports their outcomes as they end. */
export const runActions = internalAction({
  args: { pool: v.id("pools"), jobs: v.array(vAttempt) },
  returns: v.null(),
  handler: async (ctx, { jobs }) => {
    const { run, canceled } = await ctx.runQuery(internal.pool.runner.claim, { jobs });
    const reporter = new Reporter(ctx);
    for (const c of canceled) void reporter.report({ ...c, outcome: { kind: "canceled" } });
    await Promise.all(
      run.map(async (job) => {
        const outcome = await attemptAction(ctx, job.fnHandle, job.args);
        await reporter.report({ jobId: job.jobId, attempt: job.attempt, outcome });
      }),
    );
    await reporter.idle();
    return null;
  },
});

type Report = AttemptOutcome;

/**
 * Sends outcomes to `complete`, one transaction at a time. Outcomes that arrive while one is in
 * flight (or in the same tick as the first) go together in the next, so jobs that end together
 * cost one transaction and wake the dispatcher once.
 */
class Reporter {
  private queue: { report: Report; done: () => void }[] = [];
  private flushing: Promise<void> | null = null;

  constructor(private readonly ctx: ActionCtx) {}

  /** Resolves once the outcome is recorded (or could not be, see `send`). */
  report(report: Report): Promise<void> {
    return new Promise((done) => {
      this.queue.push({ report, done });
      this.flushing ??= this.flush();
    });
  }

  /** Resolves when nothing is queued or in flight. */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush() {
    // Let outcomes that end in this same tick join the first transaction.
    await new Promise((resolve) => setTimeout(resolve, 0));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, COMPLETE_BATCH);
      await this.send(batch.map((b) => b.report));
      for (const b of batch) b.done();
    }
    this.flushing = null;
  }

  /**
   * Records a batch. If the transaction fails as a whole (e.g. one onComplete exceeded a limit),
   * each outcome is recorded alone so one bad outcome cannot hold back the others; one that
   * still cannot be recorded is left running for the watchdog, which fails the attempt.
   */
  private async send(outcomes: Report[]) {
    try {
      await this.ctx.runMutation(internal.pool.worker.complete, { outcomes });
    } catch (e) {
      if (outcomes.length === 1) {
        createLogger().error(`could not record the outcome of job ${outcomes[0].jobId}: ${toJobError(e).message}`);
        return;
      }
      for (const o of outcomes) await this.send([o]);
    }
  }
}
