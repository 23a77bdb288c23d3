/**
 * The official @convex-dev/workpool README (0.4.16), "Reducing database write conflicts", with
 * only the import paths changed to convex-jobs'. Offline, the `fetch` is left out.
 */
import { Workpool } from "convex-jobs/workpool"; // was "@convex-dev/workpool"
import { internal } from "./_generated/api";
import { components } from "./_generated/api";
import { action, internalMutation } from "./_generated/server";

const counterPool = new Workpool(components.counterWorkpool, {
  maxParallelism: 1,
});

export const doSomethingAndCount = action({
  handler: async (ctx) => {
    // const doSomething = await fetch("https://example.com"); (offline here)
    await counterPool.enqueueMutation(ctx, internal.counter.increment, {});
  },
});

// This mutation is prone to conflicting with itself, because it always reads
// and writes the same data. By running it in a workpool with low parallelism,
// it will run serially.
export const increment = internalMutation({
  handler: async (ctx) => {
    const countDoc = await ctx.db.query("counter").unique();
    await ctx.db.patch(countDoc!._id, { count: countDoc!.count + 1 });
  },
});
