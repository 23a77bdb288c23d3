/**
 * `Workpool`'s controls and views of the whole pool: `configure`, `stats`, and flow control's
 * `pause`/`resume`, `pauseKey`/`resumeKey`, `inspect`, `keyStats`. A layer of the class (see
 * ./handle.ts).
 */
import { checkMutationCtx, checkQueryCtx } from "../../shared/validate.js";
import type { RunMutationCtx, RunQueryCtx } from "../ctx.js";
import { checkConfigUpdate } from "./options.js";
import { checkKeyArg } from "./flow.js";
import { PoolJobOps } from "./jobOps.js";
import type { KeyStats, PoolConfig, PoolConfigUpdate, PoolInspection, PoolStats } from "./types.js";

/** `Workpool`'s pool-wide methods. Not exported from the package: use `Workpool`. */
export class PoolOps extends PoolJobOps {
  /**
   * Changes the pool's cap, retention or log level now, without a deploy. The values set win over
   * the constructor's options (of every `Workpool` with this name) until `configure(ctx, { reset:
   * true })`. Raising `maxParallelism` starts waiting jobs at once. Returns the config in effect.
   * @param ctx a mutation or action context
   * @param update any of `maxParallelism` (0 pauses), `retentionMs`, `logLevel`; or `reset: true` to go back to the constructor's options
   * @returns the pool's config now in effect
   */
  async configure(ctx: RunMutationCtx, update: PoolConfigUpdate): Promise<PoolConfig> {
    const { reset, ...set } = checkConfigUpdate(update, this.options.name);
    return await ctx.runMutation(this.component.pool.config.configure, {
      pool: this.poolConfig(),
      set,
      reset,
    });
  }

  /**
   * Counts of pending, running, succeeded, failed and canceled jobs. Cheap: a few documents.
   * @param ctx a query, mutation or action context
   * @returns the pool's counts (all zero before its first enqueue)
   */
  async stats(ctx: RunQueryCtx): Promise<PoolStats> {
    checkQueryCtx(ctx, this.where("stats"));
    return await ctx.runQuery(this.component.pool.status.stats, { pool: this.options.name });
  }

  /**
   * Pauses the pool: no job starts until `resume`. Running jobs finish; enqueues are accepted and
   * wait; `stats`, `inspect` and a pending job's `status` show the pause. Also a runtime change.
   * @param ctx a mutation or action context
   * @returns whether the pool was already paused
   */
  async pause(ctx: RunMutationCtx): Promise<boolean> {
    checkMutationCtx(ctx, this.where("pause"));
    return await ctx.runMutation(this.component.pool.flow.setPaused, { pool: this.poolConfig(), paused: true });
  }

  /**
   * Resumes a paused pool: waiting jobs start at once, in line order.
   * @param ctx a mutation or action context
   * @returns whether the pool was paused
   */
  async resume(ctx: RunMutationCtx): Promise<boolean> {
    checkMutationCtx(ctx, this.where("resume"));
    return await ctx.runMutation(this.component.pool.flow.setPaused, { pool: this.poolConfig(), paused: false });
  }

  /**
   * Pauses one concurrency key: none of its jobs starts until `resumeKey`; other keys go on.
   * Applied by the pool's next dispatch run (milliseconds later); its running jobs finish.
   * @param ctx a mutation or action context
   * @param key the concurrency key, as given to enqueue
   */
  async pauseKey(ctx: RunMutationCtx, key: string): Promise<void> {
    const where = this.where("pauseKey");
    checkMutationCtx(ctx, where);
    checkKeyArg(key, where);
    await ctx.runMutation(this.component.pool.flow.setKeyPaused, { pool: this.poolConfig(), key, paused: true });
  }

  /**
   * Resumes a paused concurrency key.
   * @param ctx a mutation or action context
   * @param key the concurrency key, as given to enqueue
   */
  async resumeKey(ctx: RunMutationCtx, key: string): Promise<void> {
    const where = this.where("resumeKey");
    checkMutationCtx(ctx, where);
    checkKeyArg(key, where);
    await ctx.runMutation(this.component.pool.flow.setKeyPaused, { pool: this.poolConfig(), key, paused: false });
  }

  /**
   * What the pool is doing and waiting for: running, pending, paused, how long the first job in
   * line has waited, when a job held by a token or a delay can next start, and the bucket's tokens.
   * @param ctx a query, mutation or action context
   * @returns null if the pool has never been used
   */
  async inspect(ctx: RunQueryCtx): Promise<PoolInspection | null> {
    checkQueryCtx(ctx, this.where("inspect"));
    return await ctx.runQuery(this.component.pool.flow.inspect, { pool: this.options.name });
  }

  /**
   * One concurrency key's flow: running, pending, paused, its cap, its tokens, and why its next
   * job waits (`state`: "ready", "atLimit", "rateLimited", "paused" or "idle").
   * @param ctx a query, mutation or action context
   * @param key the concurrency key, as given to enqueue
   * @returns null when the key has nothing running, waiting or paused
   */
  async keyStats(ctx: RunQueryCtx, key: string): Promise<KeyStats | null> {
    const where = this.where("keyStats");
    checkQueryCtx(ctx, where);
    checkKeyArg(key, where);
    return await ctx.runQuery(this.component.pool.flow.keyStats, { pool: this.options.name, key });
  }
}
