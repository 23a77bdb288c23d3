/**
 * The official @convex-dev/migrations README's examples (0.3.6), with the import paths
 * changed: "@convex-dev/migrations" -> "convex-jobs", "./_generated/schema.js" -> "./schema.js",
 * and one line added per define: `name`, its export name. convex-jobs starts only migrations it
 * finds registered under their name, never calling a function to ask what it is (issue 9), and
 * Convex tells a function its name only while it runs; so `runOne`, the runners and
 * `runToCompletion` need it. Calling a migration directly (`npx convex run migrations:x`) works
 * without it.
 * Snippets that reuse a name (`clearField`) get a suffix; `convertUnionField` (never defined
 * there) is left out of `runAll`; `validateRequiredField`'s console.log is left out to keep test
 * output quiet.
 */
import { Migrations } from "../../src/client/index.js"; // "convex-jobs"
import { components, internal } from "./_generated/api.js";
import schema from "./schema.js";

export const migrations = new Migrations(components.migrations, { schema });
export const run = migrations.runner();

export const setDefaultValue = migrations.define({
  name: "setDefaultValue", // convex-jobs: the export name (see the header)
  table: "myTable",
  migrateOne: async (ctx, doc) => {
    if (doc.optionalField === undefined) {
      await ctx.db.patch(doc._id, { optionalField: "default" });
    }
  },
});

export const clearField = migrations.define({
  name: "clearField", // convex-jobs: the export name (see the header)
  table: "myTable",
  migrateOne: () => ({ optionalField: undefined }),
});

export const validateRequiredField = migrations.define({
  name: "validateRequiredField", // convex-jobs: the export name (see the header)
  table: "myTable",
  customRange: (query) => query.withIndex("by_requiredField", (q) => q.eq("requiredField", "")),
  migrateOne: async (_ctx, _doc) => {
    // Shorthand for patching
    return { requiredField: "<unknown>" };
  },
});

export const runAll = migrations.runner([
  internal.migrations.setDefaultValue,
  internal.migrations.validateRequiredField,
]);

export const clearFieldSmallBatches = migrations.define({
  name: "clearFieldSmallBatches", // convex-jobs: the export name (see the header)
  table: "myTable",
  batchSize: 10,
  migrateOne: () => ({ optionalField: undefined }),
});

export const clearFieldParallel = migrations.define({
  name: "clearFieldParallel", // convex-jobs: the export name (see the header)
  table: "myTable",
  parallelize: true,
  migrateOne: () => ({ optionalField: undefined }),
});
