/**
 * Identifying a migration by its function alone. A define without `name` is not in any client
 * registry, so the client asks the function itself what it is (`{ describe: true }`): a
 * migration answers with its table, batch size and retry policy. The question is asked from
 * here, inside a mutation that always throws, so nothing the function did is kept: if a plain
 * mutation is passed by mistake (one that accepts these arguments), its writes and scheduled
 * functions roll back with this transaction, and the client refuses it.
 */
import { ConvexError, v } from "convex/values";
import type { FunctionHandle } from "convex/server";
import { mutation } from "../_generated/server.js";
import { BATCH_REPLY_MARKER, type BatchErrorData } from "../../shared/migrations.js";

/**
 * Calls `fnHandle` with `{ describe: true, name }` and throws its answer as a ConvexError
 * (`kind` "described" with the description, "notMigration", or "probeFailed" with the message),
 * so the caller reads the answer and nothing commits. Never returns.
 */
export const describe = mutation({
  args: { fnHandle: v.string(), name: v.string() },
  returns: v.null(),
  handler: async (ctx, { fnHandle, name }) => {
    let reply: unknown;
    try {
      reply = await ctx.runMutation(fnHandle as FunctionHandle<"mutation">, { describe: true, name });
    } catch (e) {
      throw answer({ kind: "probeFailed", message: e instanceof Error ? e.message : String(e) });
    }
    const isMigration = typeof reply === "object" && reply !== null && (reply as { marker?: unknown }).marker === BATCH_REPLY_MARKER;
    throw answer(isMigration ? { kind: "described", description: reply } : { kind: "notMigration" });
  },
});

function answer(data: BatchErrorData): ConvexError<any> {
  return new ConvexError({ marker: BATCH_REPLY_MARKER, ...data } as any);
}
