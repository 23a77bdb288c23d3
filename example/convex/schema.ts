import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { vJobId, vRunId } from "convex-jobs";

export default defineSchema({
  counters: defineTable({ name: v.string(), value: v.number() }).index("by_name", ["name"]),
  items: defineTable({
    batch: v.string(),
    input: v.number(),
    status: v.union(v.literal("queued"), v.literal("done"), v.literal("failed"), v.literal("canceled")),
    output: v.optional(v.number()),
    error: v.optional(v.string()),
    jobId: v.optional(vJobId),
  }).index("by_batch", ["batch"]),
  /** Weather reports fetched by a flaky action through the retrier (convex/weather.ts). */
  weather: defineTable({
    city: v.string(),
    status: v.union(v.literal("fetching"), v.literal("done"), v.literal("failed"), v.literal("canceled")),
    tempC: v.optional(v.number()),
    error: v.optional(v.string()),
    runId: v.optional(vRunId),
  }).index("by_city", ["city"]),
  /** Mailbox syncs that ran (convex/flow.ts): one per user at a time. */
  syncs: defineTable({ userId: v.string(), n: v.number(), startedAt: v.number(), endedAt: v.number() }),
  /** Calls the pretend model API received (convex/flow.ts), 429s included. */
  modelCalls: defineTable({ prompt: v.string(), startedAt: v.number(), status: v.number() }),
  /** Search indexing runs (convex/flow.ts, debounced). */
  indexed: defineTable({ docId: v.string(), text: v.string(), at: v.number() }),
  /** Used by the migrations example (convex/migrations.ts): `role` was added after launch. */
  users: defineTable({
    name: v.string(),
    email: v.string(),
    role: v.optional(v.union(v.literal("member"), v.literal("admin"))),
    bio: v.optional(v.string()),
    credits: v.optional(v.number()),
  }),
});
