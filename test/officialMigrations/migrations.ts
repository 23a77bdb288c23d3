/**
 * The official @convex-dev/migrations README's examples (0.3.6), with the import paths
 * changed only: "@convex-dev/migrations" -> "convex-jobs", "./_generated/schema.js" -> "./schema.js".
 * Each migration is identified by its function name, as in the official package.
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
  table: "myTable",
  batchSize: 10,
  migrateOne: () => ({ optionalField: undefined }),
});

export const clearFieldParallel = migrations.define({
  table: "myTable",
  parallelize: true,
  migrateOne: () => ({ optionalField: undefined }),
});
