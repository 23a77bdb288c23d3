/**
 * Functions for test/conflicts.test.ts: readers that leave a mark (only transactions that write
 * can be retried), writers, and a mutation that schedules others at one time so they overlap.
 */
import { v } from "convex/values";
import { actionGeneric as action, makeFunctionReference, mutationGeneric as mutation, queryGeneric as query } from "convex/server";
import { internal } from "./_generated/api.js";

export const insert = mutation({
  args: { group: v.string(), n: v.number() },
  handler: (ctx, args) => ctx.db.insert("items", args),
});

/** Reads an item by id and writes it back. */
export const bump = mutation({
  args: { id: v.id("items") },
  handler: async (ctx, { id }) => {
    const item = (await ctx.db.get(id))!;
    await ctx.db.patch(id, { n: item.n + 1 });
  },
});

/** Bumps an item, then schedules another bump of it right away. */
export const bumpAndFollow = mutation({
  args: { id: v.id("items") },
  handler: async (ctx, { id }) => {
    const item = (await ctx.db.get(id))!;
    await ctx.db.patch(id, { n: item.n + 1 });
    await ctx.scheduler.runAfter(0, internal.fns.bump, { id });
  },
});

/** Bumps an item twice through ctx.runMutation: one call after the other, or both at once. */
export const bumpTwice = action({
  args: { id: v.id("items"), together: v.boolean() },
  handler: async (ctx, { id, together }) => {
    if (together) {
      await Promise.all([ctx.runMutation(internal.fns.bump, { id }), ctx.runMutation(internal.fns.bump, { id })]);
      return;
    }
    await ctx.runMutation(internal.fns.bump, { id });
    await ctx.runMutation(internal.fns.bump, { id });
  },
});

/** Reads the first `take` items of a group (in index order) and leaves a mark. */
export const scan = mutation({
  args: { group: v.string(), take: v.number() },
  handler: async (ctx, { group, take }) => {
    const items = await ctx.db.query("items").withIndex("by_group", (q) => q.eq("group", group)).take(take);
    await ctx.db.insert("marks", { seen: items.length });
  },
});

export const listGroup = query({
  args: { group: v.string() },
  handler: (ctx, { group }) => ctx.db.query("items").withIndex("by_group", (q) => q.eq("group", group)).collect(),
});

/** Reads a group through a nested query, on a stale snapshot or not, and leaves a mark. */
export const scanNested = mutation({
  args: { group: v.string(), stale: v.boolean() },
  handler: async (ctx, { group, stale }) => {
    const items = await ctx.runQuery(internal.fns.listGroup, { group }, { useStaleSnapshot: stale });
    await ctx.db.insert("marks", { seen: items.length });
  },
});

/** Reads one page of a group (in index order) and leaves a mark. */
export const page = mutation({
  args: { group: v.string(), cursor: v.union(v.string(), v.null()), numItems: v.number() },
  handler: async (ctx, { group, cursor, numItems }) => {
    const result = await ctx.db.query("items").withIndex("by_group", (q) => q.eq("group", group)).paginate({ cursor, numItems });
    await ctx.db.insert("marks", { seen: result.page.length });
    return result.continueCursor;
  },
});

/** Reads a scheduled run's `_scheduled_functions` row and leaves a mark. */
export const readRun = mutation({
  args: { runId: v.id("_scheduled_functions") },
  handler: async (ctx, { runId }) => {
    const run = await ctx.db.system.get(runId);
    await ctx.db.insert("marks", { seen: run ? 1 : 0 });
  },
});

export const cancelRun = mutation({
  args: { runId: v.id("_scheduled_functions") },
  handler: (ctx, { runId }) => ctx.scheduler.cancel(runId),
});

/** Schedules each call (a mutation of this module) after its delay; returns the runs' ids. */
export const scheduleAll = mutation({
  args: { calls: v.array(v.object({ fn: v.string(), args: v.any(), afterMs: v.number() })) },
  handler: async (ctx, { calls }) => {
    const ids = [];
    for (const c of calls) ids.push(await ctx.scheduler.runAfter(c.afterMs, makeFunctionReference<"mutation">(`fns:${c.fn}`), c.args));
    return ids;
  },
});
