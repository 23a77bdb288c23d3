/**
 * Inline runs (`runToCompletion`): the caller, an action or a test, runs the batches itself, one
 * top-level transaction each, instead of scheduled driver steps. Everything else is the same: each
 * batch saves its cursor through `commit`, in its own transaction, and only from the saved cursor.
 */
import { v } from "convex/values";
import { mutation } from "../_generated/server.js";
import { failedBatchArgs, vMigrationSpec, vMigrationStatus } from "../../shared/migrations.js";
import { byName, fail, launch, limitOfOne, splitPatch, toStatus, validateBatchSize, validateSpec } from "./model.js";
import { resetCounts } from "./run.js";

/**
 * Makes the migration running under a new generation with no scheduled step, from its saved
 * cursor (or `cursor`), and returns that generation for the caller's batches. A running one is
 * taken over: its scheduled steps and any other inline caller find themselves stale. A done one
 * is a no-op (generation null) unless `reset` or `cursor`. Queued successors start when it is done.
 */
export const start = mutation({
  args: {
    spec: vMigrationSpec,
    reset: v.optional(v.boolean()),
    cursor: v.optional(v.union(v.string(), v.null())),
    batchSize: v.optional(v.number()),
  },
  returns: v.object({ status: vMigrationStatus, generation: v.union(v.number(), v.null()) }),
  handler: async (ctx, { spec, reset, cursor, batchSize }) => {
    validateSpec(spec);
    if (batchSize !== undefined) validateBatchSize(batchSize, spec.name);
    let existing = await byName(ctx, spec.name);
    if (existing && reset) {
      await resetCounts(ctx, existing);
      existing = await ctx.db.get(existing._id);
    }
    if (existing?.state === "done" && cursor === undefined) {
      return { status: toStatus(existing, Date.now()), generation: null };
    }
    const m = await launch(ctx, spec, existing, existing?.next ?? [], { cursor, batchSize, inline: true });
    return { status: toStatus(m, Date.now()), generation: m.generation };
  },
});

/**
 * An inline batch failed and committed nothing. A transaction-limit failure halves the size (the
 * caller retries at once); any other failure fails the migration: an inline run has no backoff to
 * wait through, so its caller reports the error instead. Returns the status.
 */
export const recordFailure = mutation({
  args: failedBatchArgs,
  returns: v.union(vMigrationStatus, v.null()),
  handler: async (ctx, { name, generation, cursor, batchSize, failure }) => {
    const m = await byName(ctx, name);
    if (!m) return null;
    if (m.state === "running" && m.generation === generation && m.cursor === cursor) {
      const { nonRetryable: _, ...reason } = failure;
      const error = { ...reason, at: Date.now() };
      const split = failure.kind === "limit" ? splitPatch(m, batchSize, error) : null;
      if (split) await ctx.db.patch(m._id, split);
      else {
        await ctx.db.patch(m._id, { attempts: m.attempts + 1 });
        await fail(ctx, m, failure.kind === "limit" ? limitOfOne(error) : error);
      }
    }
    return toStatus((await ctx.db.get(m._id))!, Date.now());
  },
});
