/** Read-only views of migrations. Queries never conflict with the driver's writes. */
import { v } from "convex/values";
import { query } from "../_generated/server.js";
import { vMigrationStatus, type MigrationStatus } from "../../shared/migrations.js";
import { byName, toStatus } from "./model.js";

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
    const now = Date.now();
    const n = limit ?? (names ? Infinity : DEFAULT_LIST_LIMIT);
    if (n !== Infinity && (!Number.isInteger(n) || n < 1)) {
      throw new Error(`migrations list: \`limit\` must be a positive integer, got ${n}.`);
    }
    if (names) {
      const out: MigrationStatus[] = [];
      for (const name of names) {
        if (out.length >= n) break;
        const m = await byName(ctx, name);
        if (m) out.push(toStatus(m, now));
      }
      return out;
    }
    const docs = await ctx.db.query("migrations").order("desc").take(n);
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
