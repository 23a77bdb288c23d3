/**
 * The driver: one scheduled action per batch. It calls the app's batch mutation as its own
 * top-level transaction (so a batch that hits a transaction limit fails alone and can be split),
 * and reports failures. Success needs no report: the batch's `commit` already saved the cursor
 * and scheduled the next step, in the batch's own transaction.
 */
import type { FunctionHandle } from "convex/server";
import { v } from "convex/values";
import { internalAction, internalMutation } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import { backoffMs, normalizeRetryPolicy } from "../../shared/backoff.js";
import { classifyBatchError, failedBatchArgs } from "../../shared/migrations.js";
import { byName, ensureDriver, fail, limitOfOne, scheduleStep, splitPatch, WATCHDOG_MS } from "./model.js";


/** Runs one batch of a migration through the app's batch mutation. */
export const step = internalAction({
  args: {
    name: v.string(),
    generation: v.number(),
    fnHandle: v.string(),
    cursor: v.union(v.string(), v.null()),
    batchSize: v.number(),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    const { name, generation, cursor, batchSize } = args;
    try {
      await ctx.runMutation(args.fnHandle as FunctionHandle<"mutation">, { name, generation, cursor, batchSize });
      return null;
    } catch (e) {
      const failure = classifyBatchError(e);
      if (failure === "stale") return null;
      await ctx.runMutation(internal.migrations.driver.recordFailure, { name, generation, cursor, batchSize, failure });
      return null;
    }
  },
});

/**
 * A batch failed and committed nothing. A transaction-limit failure splits the batch (halves its
 * size) and retries at once; any other failure is retried with backoff, up to the retry policy's
 * maxAttempts (a NonRetryableError from migrateOne: no retry), then the migration fails with the
 * error and the failing document's id.
 */
export const recordFailure = internalMutation({
  args: failedBatchArgs,
  returns: v.null(),
  handler: async (ctx, { name, generation, cursor, batchSize, failure }) => {
    const m = await byName(ctx, name);
    if (!m || m.state !== "running" || m.generation !== generation || m.cursor !== cursor) return null;
    const { nonRetryable, ...reason } = failure;
    const error = { ...reason, at: Date.now() };
    if (failure.kind === "limit") {
      const split = splitPatch(m, batchSize, error);
      if (!split) {
        await fail(ctx, m, limitOfOne(error));
        return null;
      }
      await ctx.db.patch(m._id, split);
      await scheduleStep(ctx, { ...m, ...split }, 0);
      return null;
    }
    const attempts = m.attempts + 1;
    const policy = normalizeRetryPolicy(m.retry, `migration "${name}" retry`);
    if (attempts >= policy.maxAttempts || nonRetryable) {
      await ctx.db.patch(m._id, { attempts });
      await fail(ctx, m, error);
      return null;
    }
    await ctx.db.patch(m._id, { attempts, lastError: error });
    await scheduleStep(ctx, { ...m, attempts }, backoffMs(policy, attempts));
    return null;
  },
});

/**
 * Every WATCHDOG_MS while a run lasts: if its driver step died without a successor (a scheduled
 * action is at-most-once), start a new one from the saved cursor.
 */
export const watchdog = internalMutation({
  args: { name: v.string(), generation: v.number() },
  returns: v.null(),
  handler: async (ctx, { name, generation }) => {
    const m = await byName(ctx, name);
    if (!m || m.state !== "running" || m.generation !== generation) return null;
    const revived = await ensureDriver(ctx, m);
    // A revived driver comes with its own watchdog (new generation).
    if (!revived) await ctx.scheduler.runAfter(WATCHDOG_MS, internal.migrations.driver.watchdog, { name, generation });
    return null;
  },
});

