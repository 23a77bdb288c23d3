/** Fan-out: one action per item, at most 5 at a time, results recorded by an onComplete callback. */
import { v } from "convex/values";
import { Workpool, onCompleteArgs, vJobId, type JobId } from "convex-jobs";
import { components, internal } from "./_generated/api";
import { internalAction, internalMutation, mutation, query } from "./_generated/server";

export const itemPool = new Workpool(components.jobs, { name: "items", maxParallelism: 5 });

export const processItems = mutation({
  args: { batch: v.string(), inputs: v.array(v.number()) },
  // The explicit return type breaks the type cycle through `internal` (this module is in it).
  handler: async (ctx, { batch, inputs }): Promise<JobId[]> => {
    const itemIds = [];
    for (const input of inputs) {
      itemIds.push(await ctx.db.insert("items", { batch, input, status: "queued" }));
    }
    const jobIds: JobId[] = [];
    for (const [i, input] of inputs.entries()) {
      const jobId = await itemPool.enqueueAction(
        ctx,
        internal.fanout.processItem,
        { input },
        { onComplete: internal.fanout.itemDone, context: { itemId: itemIds[i] } },
      );
      await ctx.db.patch(itemIds[i], { jobId });
      jobIds.push(jobId);
    }
    return jobIds;
  },
});

/** The work: squares the input after a delay; negative inputs fail. */
export const processItem = internalAction({
  args: { input: v.number(), delayMs: v.optional(v.number()) },
  returns: v.number(),
  handler: async (_ctx, { input, delayMs = 50 }) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (input < 0) throw new Error(`cannot process negative input ${input}`);
    return input * input;
  },
});

export const itemDone = internalMutation({
  args: onCompleteArgs(v.object({ itemId: v.id("items") }), v.number()),
  handler: async (ctx, { context, result }) => {
    if (result.kind === "success") {
      await ctx.db.patch(context.itemId, { status: "done", output: result.returnValue });
    } else if (result.kind === "failed") {
      await ctx.db.patch(context.itemId, { status: "failed", error: result.error });
    } else {
      await ctx.db.patch(context.itemId, { status: "canceled" });
    }
  },
});

export const items = query({
  args: { batch: v.string() },
  handler: (ctx, { batch }) =>
    ctx.db
      .query("items")
      .withIndex("by_batch", (q) => q.eq("batch", batch))
      .collect(),
});

/** Cancels one item's job. `vJobId` types the argument as a `JobId`, so no cast is needed. */
export const cancelItem = mutation({
  args: { jobId: vJobId },
  handler: (ctx, { jobId }): Promise<boolean> => itemPool.cancel(ctx, jobId),
});

export const stats = query({ args: {}, handler: (ctx) => itemPool.stats(ctx) });
