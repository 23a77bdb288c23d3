/** The table the official README's examples migrate. */
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  myTable: defineTable({
    optionalField: v.optional(v.string()),
    requiredField: v.string(),
  }).index("by_requiredField", ["requiredField"]),
});
