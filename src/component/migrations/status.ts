/** Read-only views of migrations. Queries never conflict with the driver's writes. */
import { v } from "convex/values";
import { query } from "../_generated/server.js";
import { vMigrationStatus } from "../../shared/migrations.js";
import { byName, statusesByName, toStatus } from "./model.js";

/** Most migrations `list` returns when no names are given. */
export const DEFAULT_LIST_LIMIT = 100;

/**
 * Statuses of the named migrations (in that order, unknown names left out, at most `limit` of
 * them if given), or, without names, of the most recently created `limit` migrations (default
 * 100), newest first.
 */
export const list = query({
  args: { names: v.optional(v.array(v.string())), limit: v.optional(v.number()) },
  returns: v.array(vMigrationStatus),
  handler: async (ctx, { names, limit }) => {
    const n = limit ?? (names ? Infinity : DEFAULT_LIST_LIMIT);
    if (n !== Infinity && (!Number.isInteger(n) || n < 1)) {
      throw new Error(`migrations list: \`limit\` must be a positive integer, got ${n}.`);
    }
    if (names) return await statusesByName(ctx, names, n);
    const docs = await ctx.db.query("migrations").order("desc").take(n);
    const now = Date.now();
    return docs.map((m) => toStatus(m, now));
  },
});

/** One migration's status, or null if it never ran. */
export const get = query({
  args: { name: v.string() },
  returns: v.union(vMigrationStatus, v.null()),
  handler: async (ctx, { name }) => {
    const m = await byName(ctx, name);
    return m ? toStatus(m, Date.now()) : null;
  },
});
