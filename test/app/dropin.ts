/** onComplete handlers written the way the official workpool's README writes them. */
import type { DataModelFromSchemaDefinition } from "convex/server";
import { v } from "convex/values";
import { defineOnComplete, runIdValidator, runResultValidator, Workpool } from "../../src/client/index.js";
import { internalMutation } from "./_generated/server.js";
import { components } from "./_generated/api.js";
import schema from "./schema.js";

type DataModel = DataModelFromSchemaDefinition<typeof schema>;

const pool = new Workpool(components.jobs, { maxParallelism: 2 });

/** Records what it got; context and return value are validated and typed (no `<DataModel>`). */
export const typedDone = pool.defineOnComplete({
  context: v.object({ tag: v.string() }),
  returnValue: v.string(),
  handler: async (ctx, { jobId, workId, context, result }) => {
    const tag: string = context.tag;
    // @ts-expect-error: the context validator has no such field
    void context.nope;
    const value: string | null = result.kind === "success" ? result.returnValue : null;
    await ctx.db.insert("events", { kind: "typed-done", key: jobId, data: { workId, tag, value, kind: result.kind } });
  },
});

/** The free-function form with a typed `ctx.db`: context and return value are `any`. */
export const looseDone = defineOnComplete<DataModel>({
  handler: async (ctx, { workId, result }) => {
    await ctx.db.insert("events", { kind: "loose-done", key: workId, data: { kind: result.kind } });
  },
});

/** A retrier onComplete written with the retrier's exported validators. */
export const retrierDone = internalMutation({
  args: { jobId: runIdValidator, context: v.any(), result: runResultValidator },
  handler: async (ctx, { jobId, result }) => {
    await ctx.db.insert("events", { kind: "retrier-done", key: jobId, data: result });
  },
});
