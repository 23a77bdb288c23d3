/**
 * The official @convex-dev/migrations README (0.3.6), its examples ("Initialization", "Define
 * migrations", running them one at a time and serially, "Get the status of migrations",
 * "Running migrations synchronously", custom batch size, parallelizing, "Shorthand running
 * syntax"), written from its documented usage with only the import paths changed to
 * convex-jobs'. The component is mounted as "migrations" (convex.config.ts). The README reuses
 * the name `clearField`; its variants get a suffix here. The instance is typed with `DataModel`,
 * the README's other form: its `import schema from "./_generated/schema.js"` names a file that
 * Convex's codegen (1.49) does not write (`{ schema }` from "./schema.js" works as well; see
 * test/officialMigrations/).
 */
import { Migrations, runToCompletion, type MigrationStatus } from "convex-jobs/migrations"; // was "@convex-dev/migrations"
import { components, internal } from "./_generated/api.js";
import { DataModel } from "./_generated/dataModel.js";
import { internalAction, internalMutation, internalQuery } from "./_generated/server.js";

export const migrations = new Migrations<DataModel>(components.migrations);
export const run = migrations.runner();

export const setDefaultValue = migrations.define({
  table: "myTable",
  migrateOne: async (ctx, doc) => {
    if (doc.optionalField === undefined) {
      await ctx.db.patch(doc._id, { optionalField: "default" });
    }
  },
});

export const clearField = migrations.define({
  table: "myTable",
  migrateOne: () => ({ optionalField: undefined }),
});

export const validateRequiredField = migrations.define({
  table: "myTable",
  // Specify a custom range to only include documents that need to change.
  // This is useful if you have a large dataset and only a small percentage of
  // documents need to be migrated.
  customRange: (query) => query.withIndex("by_requiredField", (q) => q.eq("requiredField", "")),
  migrateOne: async (_ctx, doc) => {
    // Shorthand for patching
    return { requiredField: "<unknown>" };
  },
});

// A runner for a fixed series (the README's `runAll`, without its never-defined third one).
export const runAll = migrations.runner([internal.migrations.setDefaultValue, internal.migrations.validateRequiredField]);

export const clearFieldSmallBatches = migrations.define({
  table: "myTable",
  batchSize: 10,
  migrateOne: () => ({ optionalField: undefined }),
});

export const clearFieldParallel = migrations.define({
  table: "myTable",
  parallelize: true,
  migrateOne: () => ({ optionalField: undefined }),
});

// Running migrations synchronously, from an action.
export const myAction = internalAction({
  args: {},
  handler: async (ctx) => {
    //...
    const toRun = internal.migrations.setDefaultValue;
    await runToCompletion(ctx, components.migrations, toRun);
  },
});

// Running them from code: one, then a series; their statuses; canceling.
export const startOne = internalAction({
  args: {},
  handler: async (ctx) => {
    await migrations.runOne(ctx, internal.migrations.clearFieldSmallBatches);
  },
});
export const startSeries = internalAction({
  args: {},
  handler: async (ctx) => {
    await migrations.runSerially(ctx, [internal.migrations.setDefaultValue, internal.migrations.validateRequiredField]);
  },
});
// "You can also override this batch size for an individual invocation".
export const startOneSmall = internalMutation({
  args: {},
  handler: async (ctx) => {
    await migrations.runOne(ctx, internal.migrations.clearField, {
      batchSize: 1,
    });
  },
});
// "Get the status of migrations", from a query.
export const recentStatus = internalQuery({
  args: {},
  handler: async (ctx) => {
    const status: MigrationStatus[] = await migrations.getStatus(ctx, {
      limit: 10,
    });
    return status;
  },
});

// "Shorthand running syntax" (the README names this instance `migrations` too, and passes its
// own `internalMigration`, which it does not define).
export const shorthand = new Migrations(components.migrations, {
  migrationsLocationPrefix: "migrations:",
});
export const runShort = shorthand.runner();
export const myNewMutation = shorthand.define({ table: "myTable", migrateOne: () => ({ optionalField: "new" }) });
export const myNextMutation = shorthand.define({ table: "myTable", migrateOne: () => ({ optionalField: "next" }) });
export const cancelShort = internalMutation({
  args: {},
  handler: async (ctx) => {
    await shorthand.getStatus(ctx, { migrations: ["myNewMutation"] });
    await shorthand.cancel(ctx, "myNewMutation");
  },
});
