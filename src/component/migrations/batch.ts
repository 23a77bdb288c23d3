/**
 * `commit`: called by the app's batch mutation, inside the same transaction as the batch's
 * writes. It saves the new cursor only if the batch started from the saved one, so the batch and
 * its cursor commit together or not at all: a document is migrated by exactly one committed batch.
 */
import { ConvexError, v } from "convex/values";
import { mutation } from "../_generated/server.js";
import { BATCH_REPLY_MARKER, MAX_SKIPPED_IDS } from "../../shared/migrations.js";
import { byName, grownBatchSize, scheduleStep, startSeries } from "./model.js";

export const commit = mutation({
  args: {
    name: v.string(),
    generation: v.number(),
    /** The cursor the batch started from; must still be the saved one. */
    fromCursor: v.union(v.string(), v.null()),
    /** Where the next batch starts. */
    toCursor: v.string(),
    isDone: v.boolean(),
    /** Documents in the batch (skipped ones included), and the size it was asked for. */
    processed: v.number(),
    batchSize: v.number(),
    skippedIds: v.array(v.string()),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    const m = await byName(ctx, args.name);
    if (!m || m.state !== "running" || m.generation !== args.generation || m.cursor !== args.fromCursor) {
      // Thrown, not returned: the app's batch must roll back its writes too.
      throw new ConvexError({
        marker: BATCH_REPLY_MARKER,
        kind: "stale",
        message: `migration "${args.name}": this batch is no longer current (${
          !m ? "no such migration" : m.state !== "running" ? `state is ${m.state}` : "another batch got there first"
        }); its writes were rolled back.`,
      });
    }
    const { size, ceiling } = grownBatchSize(m, args.batchSize);
    const patch = {
      cursor: args.toCursor,
      processed: m.processed + args.processed,
      batches: m.batches + 1,
      skipped: m.skipped + args.skippedIds.length,
      skippedIds: [...m.skippedIds, ...args.skippedIds].slice(0, MAX_SKIPPED_IDS),
      currentBatchSize: size,
      sizeCeiling: ceiling,
      lastGoodSize: args.batchSize,
      batchesSinceSplit: m.batchesSinceSplit + 1,
      attempts: 0,
      lastError: undefined,
    };
    if (args.isDone) {
      await ctx.db.patch(m._id, { ...patch, state: "done", endedAt: Date.now(), next: [], pauseAfterBatch: undefined, inline: undefined });
      await startSeries(ctx, m.next);
      return null;
    }
    if (m.pauseAfterBatch) {
      // oneBatchOnly: this was the one batch; a new generation stops the watchdog too.
      await ctx.db.patch(m._id, { ...patch, state: "paused", generation: m.generation + 1, pauseAfterBatch: undefined });
      return null;
    }
    await ctx.db.patch(m._id, patch);
    // An inline run's caller runs the next batch itself.
    if (!m.inline) await scheduleStep(ctx, { ...m, ...patch }, 0);
    return null;
  },
});
