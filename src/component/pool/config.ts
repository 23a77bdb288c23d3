/**
 * Runtime configuration: `configure` changes a pool's cap, retention or log level without a
 * deploy; a cap of 0 pauses the pool (nothing starts; running jobs finish). The values it sets are stored as the pool's `overrides` and win over the options every
 * enqueue passes (see `upsertPool`) until a `configure` with `reset` clears them. Like a config
 * change at enqueue, it writes the pool document, which enqueues and workers read: meant for
 * rare, deliberate changes, not for every request.
 */
import { v } from "convex/values";
import { mutation } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import { vLogLevel } from "../../shared/validators.js";
import { createLogger } from "../../shared/logging.js";
import { configWithDefaults, upsertPool, validatePoolConfig, vPoolConfig } from "./enqueue.js";
import { vPoolOverrides } from "./tables.js";

/** Sets (or, with `reset`, clears and then sets) a pool's runtime overrides. Returns what is in effect. */
export const configure = mutation({
  args: {
    /** The pool as the caller's constructor configures it: used to create it, and after a reset. */
    pool: vPoolConfig,
    set: vPoolOverrides,
    /** Drop earlier overrides first, so the constructor's values apply again. */
    reset: v.optional(v.boolean()),
  },
  returns: v.object({
    name: v.string(),
    maxParallelism: v.number(),
    retentionMs: v.number(),
    logLevel: vLogLevel,
    overrides: vPoolOverrides,
  }),
  handler: async (ctx, { pool: config, set, reset }) => {
    validatePoolConfig(config);
    const pool = await upsertPool(ctx, config);
    const overrides = { ...(reset ? {} : pool.overrides), ...set };
    const { maxParallelism, retentionMs, logLevel } = { ...configWithDefaults(config), ...overrides };
    const inEffect = { maxParallelism, retentionMs, logLevel };
    validatePoolConfig({ name: config.name, ...inEffect }, 0); // 0 pauses the pool
    await ctx.db.patch(pool._id, { ...inEffect, overrides });
    createLogger(inEffect.logLevel).info(
      `Workpool "${config.name}" configured at runtime: ${JSON.stringify(inEffect)} (overrides ${JSON.stringify(overrides)}).`,
    );
    // A higher cap must take effect now, not at the next completion: a dispatch run fills the
    // new slots. (A lower one needs nothing: running jobs finish, fewer start.)
    if (inEffect.maxParallelism > pool.maxParallelism) {
      await ctx.scheduler.runAfter(0, internal.pool.dispatch.dispatch, { pool: pool._id });
    }
    return { name: config.name, ...inEffect, overrides };
  },
});
