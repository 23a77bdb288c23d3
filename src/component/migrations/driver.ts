/**
 * The driver: one scheduled action per batch. It calls the app's batch mutation as its own
 * top-level transaction (so a batch that hits a transaction limit fails alone and can be split),
 * and reports failures. Success needs no report: the batch's `commit` already saved the cursor
 * and scheduled the next step, in the batch's own transaction.
 */
import type { FunctionHandle } from "convex/server";
import { ConvexError, v } from "convex/values";
import { internalAction, internalMutation } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import { backoffMs, normalizeRetryPolicy } from "../../shared/backoff.js";
import { batchErrorData, isLimitError } from "../../shared/migrations.js";
import { byName, ensureDriver, fail, scheduleStep, WATCHDOG_MS } from "./model.js";

const vFailure = v.object({
  kind: v.union(v.literal("migrateOne"), v.literal("limit"), v.literal("error")),
  message: v.string(),
  docId: v.optional(v.string()),
  /** migrateOne threw a NonRetryableError: fail now. */
  nonRetryable: v.optional(v.boolean()),
});

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
      const failure = classify(e);
      if (failure === "stale") return null;
      await ctx.runMutation(internal.migrations.driver.recordFailure, { name, generation, cursor, batchSize, failure });
      return null;
    }
  },
});

/** Sorts a batch's error: our own ConvexErrors carry a kind; limit errors are known by message. */
function classify(e: unknown): "stale" | typeof vFailure.type {
  const data = batchErrorData(e);
  if (data?.kind === "stale") return "stale";
  if (data?.kind === "migrateOne") {
    return { kind: "migrateOne", message: data.message, docId: data.docId, ...(data.nonRetryable ? { nonRetryable: true } : {}) };
  }
  if (data?.kind === "limit") return { kind: "limit", message: data.message, docId: data.docId };
  const message =
    e instanceof ConvexError && typeof e.data === "string" ? e.data : e instanceof Error ? e.message : String(e);
  return { kind: isLimitError(message) ? "limit" : "error", message };
}

/**
 * A batch failed and committed nothing. A transaction-limit failure splits the batch (halves its
 * size) and retries at once; any other failure is retried with backoff, up to the retry policy's
 * maxAttempts (a NonRetryableError from migrateOne: no retry), then the migration fails with the
 * error and the failing document's id.
 */
export const recordFailure = internalMutation({
  args: {
    name: v.string(),
    generation: v.number(),
    cursor: v.union(v.string(), v.null()),
    batchSize: v.number(),
    failure: vFailure,
  },
  returns: v.null(),
  handler: async (ctx, { name, generation, cursor, batchSize, failure }) => {
    const m = await byName(ctx, name);
    if (!m || m.state !== "running" || m.generation !== generation || m.cursor !== cursor) return null;
    const { nonRetryable, ...reason } = failure;
    const error = { ...reason, at: Date.now() };
    if (failure.kind === "limit") {
      if (batchSize <= 1) {
        const message = `${failure.message} (a single document's migration exceeds a Convex transaction limit)`;
        await fail(ctx, m, { ...error, message });
        return null;
      }
      // Halve, but not below a size that just committed (we were probing above it).
      const good = m.lastGoodSize !== undefined && m.lastGoodSize < batchSize ? m.lastGoodSize : 0;
      const split = {
        currentBatchSize: Math.max(1, Math.floor(batchSize / 2), good),
        sizeCeiling: batchSize,
        batchesSinceSplit: 0,
        splits: m.splits + 1,
        lastError: error,
      };
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
