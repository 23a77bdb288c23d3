import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

/** A tiny app for the conflict model's tests: items in groups, and marks that readers leave. */
export default defineSchema({
  items: defineTable({ group: v.string(), n: v.number() }).index("by_group", ["group", "n"]),
  marks: defineTable({ seen: v.number() }),
});
