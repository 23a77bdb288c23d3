/** Functions for the bad-input tests: calls made from the wrong place, results too big to store. */
import { ConvexError, v } from "convex/values";
import { ActionRetrier, Workpool } from "../../src/client/index.js";
import { components, internal } from "./_generated/api.js";
import { internalAction, internalMutation, internalQuery } from "./_generated/server.js";
import { migrations } from "./migrations.js";

const pool = new Workpool(components.jobs, { name: "bad", maxParallelism: 2 });

/** Enqueues from a query's ctx: must be refused, naming the ctx. */
export const enqueueFromQuery = internalQuery({
  args: {},
  handler: async (ctx) => {
    await pool.enqueueMutation(ctx as never, internal.fns.write, { key: "from-query" });
  },
});

/** Writes a witness, then returns a value too large to store with the job (1.2 MB). */
export const bigResult = internalMutation({
  args: { key: v.string() },
  handler: async (ctx, { key }) => {
    await ctx.db.insert("events", { kind: "big", key });
    return "x".repeat(1200 * 1024);
  },
});

const retrier = new ActionRetrier(components.jobs, { poolName: "bad-retrier-q" });

/** Starts a retrier run from a query's ctx: must be refused, naming the ctx. */
export const runFromQuery = internalQuery({
  args: {},
  handler: async (ctx) => {
    await retrier.run(ctx as never, internal.fns.flaky, { key: "from-query", failures: 0 });
  },
});

/** Starts a migration from a query's ctx: must be refused, naming the ctx. */
export const migrateFromQuery = internalQuery({
  args: {},
  handler: async (ctx) => {
    await migrations.runOne(ctx as never, internal.migrations.tagItems);
  },
});

/** Throws a ConvexError whose data is too large to store with the job (1.1 MB). */
export const hugeError = internalAction({
  args: {},
  handler: async () => {
    throw new ConvexError({ message: "boom", blob: "x".repeat(1100 * 1024) });
  },
});
