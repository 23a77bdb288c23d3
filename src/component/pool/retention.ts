/** Explicit clean-up of one finished job, ahead of the pool's retention window. */
import { v } from "convex/values";
import { mutation } from "../_generated/server.js";
import { isFinal } from "./state.js";
import { jobOfPool } from "./lookup.js";

/**
 * Deletes a finished job's record of `pool` now. Returns false if the job is not finished (cancel
 * it first), no longer exists, or belongs to another pool. Counts in `stats` are totals and are not changed.
 */
export const cleanup = mutation({
  args: { pool: v.string(), jobId: v.string() },
  returns: v.boolean(),
  handler: async (ctx, args) => {
    const found = await jobOfPool(ctx, args.pool, args.jobId);
    if (!found || !isFinal(found.job.state)) return false;
    await ctx.db.delete(found.job._id);
    return true;
  },
});
