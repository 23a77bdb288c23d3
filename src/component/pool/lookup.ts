/**
 * Finding a pool by the name a client passed, its dispatcher state, and a job by the id a client
 * passed, scoped to the client's pool. Ids are not secrets and every pool shares one `jobs`
 * table, so a job lookup must check the job belongs to the asking pool: another pool's job is
 * treated exactly like a job that no longer exists.
 */
import type { QueryCtx } from "../_generated/server.js";
import type { Doc, Id } from "../_generated/dataModel.js";

/** The pool called `name`, or null before its first enqueue. */
export function poolByName(ctx: QueryCtx, name: string): Promise<Doc<"pools"> | null> {
  return ctx.db
    .query("pools")
    .withIndex("by_name", (q) => q.eq("name", name))
    .unique();
}

/** The pool's dispatcher state document (at most one per pool, created with the pool). */
export function dispatchStateOf(ctx: QueryCtx, pool: Id<"pools">): Promise<Doc<"dispatchState"> | null> {
  return ctx.db
    .query("dispatchState")
    .withIndex("by_pool", (q) => q.eq("pool", pool))
    .unique();
}

/**
 * The job `jobId` names, if it exists and belongs to the pool called `poolName`; else null.
 *
 * A string that is not an id of the `jobs` table at all (a typo, another table's id, an empty
 * string) throws: that is a bug in the caller. A well-formed job id whose document is gone
 * (cleaned up after retention, or deleted) is not: `normalizeId` accepts it, `get` returns null.
 * @param label how the argument is called in the message, e.g. "jobId" or "jobIds[2]"
 */
export async function jobOfPool(
  ctx: QueryCtx,
  poolName: string,
  jobId: string,
  label = "jobId",
): Promise<{ job: Doc<"jobs">; pool: Doc<"pools"> } | null> {
  const id = typeof jobId === "string" ? ctx.db.normalizeId("jobs", jobId) : null;
  if (id === null) {
    throw new Error(
      `\`${label}\` ${JSON.stringify(jobId)} is not a job id: pass an id that enqueue (or ActionRetrier.run) returned.`,
    );
  }
  const job = await ctx.db.get(id);
  if (!job) return null;
  const pool = await ctx.db.get(job.pool);
  if (!pool || pool.name !== poolName) return null;
  return { job, pool };
}
