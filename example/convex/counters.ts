/** A serialized counter: every increment is a job in a pool with maxParallelism 1. */
import { v } from "convex/values";
import { Workpool, type JobId } from "convex-jobs";
import { components, internal } from "./_generated/api";
import { internalMutation, mutation, query } from "./_generated/server";

export const counterPool = new Workpool(components.jobs, { name: "counter", maxParallelism: 1 });

export const increment = mutation({
  args: { name: v.optional(v.string()), by: v.optional(v.number()) },
  // The explicit return type breaks the type cycle through `internal` (this module is in it).
  handler: async (ctx, { name = "default", by = 1 }): Promise<JobId> => {
    return await counterPool.enqueueMutation(ctx, internal.counters.doIncrement, { name, by });
  },
});

/** Runs as a job: one at a time, so read-modify-write needs no other care. */
export const doIncrement = internalMutation({
  args: { name: v.string(), by: v.number() },
  handler: async (ctx, { name, by }) => {
    const row = await ctx.db
      .query("counters")
      .withIndex("by_name", (q) => q.eq("name", name))
      .unique();
    if (row) {
      await ctx.db.patch(row._id, { value: row.value + by });
      return row.value + by;
    }
    await ctx.db.insert("counters", { name, value: by });
    return by;
  },
});

export const get = query({
  args: { name: v.optional(v.string()) },
  handler: async (ctx, { name = "default" }) => {
    const row = await ctx.db
      .query("counters")
      .withIndex("by_name", (q) => q.eq("name", name))
      .unique();
    return row?.value ?? 0;
  },
});

export const stats = query({ args: {}, handler: (ctx) => counterPool.stats(ctx) });
