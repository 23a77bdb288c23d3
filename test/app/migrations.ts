/** Migrations over the test app's `items`, for the migration reliability and bad-input tests. */
import type { DataModelFromSchemaDefinition } from "convex/server";
import { v } from "convex/values";
import { Migrations, runToCompletion } from "../../src/client/index.js";
import { components, internal } from "./_generated/api.js";
import { internalAction, internalMutation } from "./_generated/server.js";
import schema from "./schema.js";

type DataModel = DataModelFromSchemaDefinition<typeof schema>;

/** With the schema: `define` checks table names. */
export const migrations = new Migrations<DataModel>(components.jobs, { schema, retry: { maxAttempts: 3, initialBackoffMs: 10 } });
/** Without a schema: a misspelled table is only seen as empty. */
export const loose = new Migrations<DataModel>(components.jobs);

export const tagItems = migrations.define({ name: "tagItems", table: "items", migrateOne: () => ({ tag: "t" }) });
export const returnsNumber = migrations.define({ name: "returnsNumber", table: "items", migrateOne: () => 5 as never });
export const returnsArray = migrations.define({ name: "returnsArray", table: "items", migrateOne: () => [{ tag: "x" }] as never });
export const returnsString = migrations.define({ name: "returnsString", table: "items", migrateOne: () => "tag" as never });
export const returnsNothing = migrations.define({ name: "returnsNothing", table: "items", migrateOne: () => null as never });
/** A migration defined without a name (the official form): identified by the function it is run through. */
export const unnamed = migrations.define({ table: "items", migrateOne: () => ({ tag: "u" }) });
/** Named, but not under its export name: refused at its first batch. */
export const misnamed = migrations.define({ name: "somethingElse", table: "items", migrateOne: () => ({ tag: "m" }) });
export const typoTable = loose.define({ name: "typoTable", table: "itemz" as "items", migrateOne: () => ({ tag: "x" }) });

/** A plain mutation with no args validator: it would run with any args. It must never be called as a probe. */
export const plainMutation = internalMutation({
  handler: async (ctx) => {
    await ctx.db.insert("events", { kind: "plain", key: "ran" });
  },
});

export const seedItems = internalMutation({
  args: { count: v.number() },
  handler: async (ctx, { count }) => {
    for (let n = 0; n < count; n++) await ctx.db.insert("items", { n });
  },
});

/** Starts a migration from an action (where a probe's writes would commit on their own). */
export const runFromAction = internalAction({
  args: { fn: v.string(), loose: v.optional(v.boolean()) },
  handler: async (ctx, { fn, loose: useLoose }) => await (useLoose ? loose : migrations).runOne(ctx, fn),
});

/** Unnamed, with a total: the probe's answer carries it. */
export const unnamedCounted = migrations.define({
  table: "items",
  estimateTotal: async (ctx) => (await ctx.db.query("items").collect()).length,
  migrateOne: () => ({ tag: "c" }),
});
/** The runners, over unnamed migrations: any one (`fn`), and a fixed series. */
export const run = migrations.runner();
export const runUnnamedSeries = migrations.runner([internal.migrations.unnamed, internal.migrations.unnamedCounted]);
/** An instance that defines nothing, with a prefix: it finds unnamed defines by their short names. */
export const prefixed = new Migrations<DataModel>(components.jobs, { migrationsLocationPrefix: "migrations:" });
export const runPrefixed = prefixed.runner();
/** The official free function, from an action. */
export const runToEnd = internalAction({
  args: { fn: v.string() },
  handler: async (ctx, { fn }) => await runToCompletion(ctx, components.jobs, fn),
});
