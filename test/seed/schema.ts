// The tables the official READMEs' examples write (they show no schema).
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  users: defineTable({ name: v.string() }),
  userEmailLog: defineTable({
    userId: v.id("users"),
    emailType: v.string(),
    result: v.union(v.string(), v.null()),
    error: v.union(v.string(), v.null()),
  }),
  emailStatus: defineTable({ emailLogId: v.id("userEmailLog"), state: v.string() }),
  counter: defineTable({ count: v.number() }),
  retrierLog: defineTable({ runId: v.string(), type: v.string(), value: v.optional(v.any()) }),
  // The official migrations README's table.
  myTable: defineTable({
    optionalField: v.optional(v.string()),
    requiredField: v.string(),
  }).index("by_requiredField", ["requiredField"]),
});
