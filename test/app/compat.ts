/** onComplete handlers validated with the compat entry points' official shapes. */
import { v } from "convex/values";
import { onCompleteValidator } from "../../src/client/compat/actionRetrier.js";
import { vOnCompleteArgs, vResultValidator, vWorkId } from "../../src/client/compat/workpool.js";
import { internalMutation } from "./_generated/server.js";

/** `vOnCompleteArgs(context, returns)`: what the official workpool README writes. */
export const workpoolDone = internalMutation({
  args: vOnCompleteArgs(v.object({ tag: v.string() }), v.number()),
  handler: async (ctx, { workId, context, result }) => {
    await ctx.db.insert("events", { kind: "wp-done", key: workId, data: { context, result } });
  },
});

/** Spelled out, `workId: vWorkId` and `result: vResultValidator`. */
export const workpoolDoneByHand = internalMutation({
  args: { workId: vWorkId, context: v.any(), result: vResultValidator },
  handler: async (ctx, { workId, result }) => {
    await ctx.db.insert("events", { kind: "wp-hand", key: workId, data: result });
  },
});

/** The official retrier's `onCompleteValidator`: `{ runId, result: { type } }`. */
export const retrierDone = internalMutation({
  args: onCompleteValidator,
  handler: async (ctx, { runId, result }) => {
    await ctx.db.insert("events", { kind: "ar-done", key: runId, data: result });
  },
});
