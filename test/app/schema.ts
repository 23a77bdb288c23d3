import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

/** A test-only app: records what jobs did so tests can assert on it. */
export default defineSchema({
  events: defineTable({ kind: v.string(), key: v.string(), data: v.optional(v.any()) }).index("by_kind", ["kind"]),
  /** Documents for the migration tests. */
  items: defineTable({ n: v.number(), tag: v.optional(v.string()) }),
});
