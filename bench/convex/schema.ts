/** The bench app's one table: what mutation jobs write. */
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  rows: defineTable({ n: v.number() }),
});
