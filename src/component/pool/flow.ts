/**
 * Flow control at runtime: pausing and resuming a pool or one concurrency key, and what a pool
 * or a key is waiting for (`inspect`, `keyStats`). A pool's pause is config (the pool document,
 * like `configure`); a key's pause is per-key state, which only the dispatcher writes, so it
 * travels to the dispatcher in a tally like the key's other news and applies at its next run.
 */
import { v, type Infer } from "convex/values";
import { mutation, query } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import type { Doc } from "../_generated/dataModel.js";
import { checkKey, tokensAt, type RateLimit } from "../../shared/flow.js";
import { upsertPool, validatePoolConfig, vPoolConfig } from "./enqueue.js";
import { capOf } from "./keys.js";
import { MIN_RANK } from "./view.js";
import { dispatchStateOf, poolByName } from "./lookup.js";

/** Pauses (`paused: true`) or resumes the whole pool. Returns whether it was paused before. */
export const setPaused = mutation({
  args: { pool: vPoolConfig, paused: v.boolean() },
  returns: v.boolean(),
  handler: async (ctx, { pool: config, paused }) => {
    validatePoolConfig(config);
    const pool = await upsertPool(ctx, config);
    const was = pool.paused === true;
    if (was === paused) return was;
    await ctx.db.patch(pool._id, { paused: paused || undefined });
    // Resumed: a run fills the free slots now (a paused pool may look "covered" to enqueue).
    if (!paused) await ctx.scheduler.runAfter(0, internal.pool.dispatch.dispatch, { pool: pool._id });
    return was;
  },
});

/**
 * Pauses or resumes one concurrency key: news for the dispatcher, applied by a run scheduled now.
 * Not `requestDispatch`: a full pool is "covered" (its next run is the next completion, maybe
 * minutes away), and until a run folds the news, `keyStats` and `status` would not show it.
 */
export const setKeyPaused = mutation({
  args: { pool: vPoolConfig, key: v.string(), paused: v.boolean() },
  returns: v.null(),
  handler: async (ctx, { pool: config, key, paused }) => {
    validatePoolConfig(config);
    checkKey(key, `Workpool "${config.name}".${paused ? "pauseKey" : "resumeKey"}`);
    const pool = await upsertPool(ctx, config);
    await ctx.db.insert("tallies", { pool: pool._id, pending: 0, canceled: 0, keys: [{ key, pending: 0, paused }] });
    await ctx.scheduler.runAfter(0, internal.pool.dispatch.dispatch, { pool: pool._id });
    return null;
  },
});

/** What a pool or key is doing and waiting for (see the README, "Flow control"). */
const vFlowStats = {
  running: v.number(),
  /** Ready jobs waiting in line (for a key: pending jobs, delayed included, as last folded). */
  pending: v.number(),
  paused: v.boolean(),
  /** How long the first job in line has waited since it became ready (null: none waiting). */
  oldestWaitMs: v.union(v.number(), v.null()),
  /** The earliest a waiting job can start, if something other than a free slot holds it (a token, a delay). */
  nextEligibleAt: v.union(v.number(), v.null()),
  /** Tokens in the rate-limit bucket now (null: no rate limit). */
  tokens: v.union(v.number(), v.null()),
};
export const vPoolInspection = v.object({ ...vFlowStats, maxParallelism: v.number() });
export type PoolInspection = Infer<typeof vPoolInspection>;
export const vKeyStats = v.object({
  key: v.string(),
  ...vFlowStats,
  /** How many of the key's jobs may run at once. */
  limit: v.number(),
  /**
   * Why the key's next job has not started: "ready" (waits for a pool slot or its turn),
   * "atLimit", "rateLimited", "paused", or "idle" (nothing ready).
   */
  state: v.union(v.literal("ready"), v.literal("atLimit"), v.literal("rateLimited"), v.literal("paused"), v.literal("idle")),
});
export type KeyStats = Infer<typeof vKeyStats>;

/** Pool-wide flow: running, the line of ready jobs, the pause, the bucket. Reads a few documents. */
export const inspect = query({
  args: { pool: v.string() },
  returns: v.union(vPoolInspection, v.null()),
  handler: async (ctx, args) => {
    const pool = await poolByName(ctx, args.pool);
    if (!pool) return null;
    const state = await dispatchStateOf(ctx, pool._id);
    const now = Date.now();
    const first = await ctx.db
      .query("jobs")
      .withIndex("by_pool_state_ready", (q) => q.eq("pool", pool._id).eq("state", "pending"))
      .first();
    const tokens = bucketTokens(pool.rateLimit, state?.bucket, now);
    const waitsForToken = tokens !== null && tokens < 1 && pool.rateLimit;
    const nextToken = waitsForToken ? now + Math.ceil(((1 - tokens) * pool.rateLimit!.periodMs) / pool.rateLimit!.rate) : null;
    const delayed = first && first.readyAt > now ? first.readyAt : null;
    return {
      running: state?.running.length ?? 0,
      pending: state?.counts.pending ?? 0,
      paused: pool.paused === true || pool.maxParallelism === 0,
      oldestWaitMs: first && first.readyAt <= now ? now - first.readyAt : null,
      nextEligibleAt: nextToken ?? delayed,
      tokens,
      maxParallelism: pool.maxParallelism,
    };
  },
});

/** One concurrency key's flow (null: the key has no state: nothing of it runs or waits). */
export const keyStats = query({
  args: { pool: v.string(), key: v.string() },
  returns: v.union(vKeyStats, v.null()),
  handler: async (ctx, args) => {
    const pool = await poolByName(ctx, args.pool);
    if (!pool) return null;
    const found = await ctx.db
      .query("keys")
      .withIndex("by_pool_key", (q) => q.eq("pool", pool._id).eq("key", args.key))
      .unique();
    // Running jobs are counted from the dispatch state; a key with nothing pending may have
    // dropped its document while its last jobs run (./keys.ts).
    const state = await dispatchStateOf(ctx, pool._id);
    const running = state?.running.filter((r) => r.key === args.key).length ?? 0;
    if (!found && running === 0) return null;
    const doc: Omit<Doc<"keys">, "_id" | "_creationTime"> = found ?? { pool: pool._id, key: args.key, lane: "idle", at: 0, pending: 0, headRank: null };
    const now = Date.now();
    const head = await ctx.db
      .query("jobs")
      .withIndex("by_pool_state_key_rank", (q) => q.eq("pool", pool._id).eq("state", "pending").eq("key", args.key).gte("rank", MIN_RANK))
      .first();
    return {
      key: doc.key,
      running,
      pending: doc.pending,
      paused: doc.paused === true,
      oldestWaitMs: head ? Math.max(0, now - head.readyAt) : null,
      nextEligibleAt: doc.lane === "waiting" ? doc.at : null,
      tokens: bucketTokens(pool.keyRateLimit, doc.bucket, now),
      limit: capOf(pool, doc),
      state: running >= capOf(pool, doc) && !doc.paused ? "atLimit" : keyState(doc),
    };
  },
});

function keyState(doc: Pick<Doc<"keys">, "lane">): KeyStats["state"] {
  switch (doc.lane) {
    case "open":
      return "ready";
    case "waiting":
      return "rateLimited";
    default:
      return doc.lane;
  }
}

function bucketTokens(limit: RateLimit | undefined, bucket: Doc<"keys">["bucket"] | undefined, now: number): number | null {
  return limit ? Math.floor(tokensAt(limit, bucket, now) * 1000) / 1000 : null;
}
