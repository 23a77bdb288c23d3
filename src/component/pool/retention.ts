/** Explicit clean-up of one finished job, ahead of the pool's retention window. */
import { v } from "convex/values";
import { mutation } from "../_generated/server.js";
import { isFinal } from "./state.js";

/**
 * Deletes a finished job's record now. Returns false if the job is not finished (cancel it
 * first) or no longer exists. Counts in `stats` are totals and are not changed.
 */
export const cleanup = mutation({
  args: { jobId: v.id("jobs") },
  returns: v.boolean(),
  handler: async (ctx, { jobId }) => {
    const job = await ctx.db.get(jobId);
    if (!job || !isFinal(job.state)) return false;
    await ctx.db.delete(jobId);
    return true;
  },
});
