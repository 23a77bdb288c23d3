/**
 * `Workpool`'s methods on jobs by id: `status`, `statusBatch`, `cancel`, `cancelAll`, `cleanup`.
 * A layer of the class (see ./handle.ts); ids are scoped to the pool.
 */
import { checkMutationCtx, checkQueryCtx, describe } from "../../shared/validate.js";
import type { RunMutationCtx, RunQueryCtx } from "../ctx.js";
import { checkIdArg, named } from "./options.js";
import { PoolHandle } from "./handle.js";
import type { JobId, JobStatus } from "./types.js";

/** `Workpool`'s per-job methods. Not exported from the package: use `Workpool`. */
export class PoolJobOps extends PoolHandle {
  /**
   * A job's status, or `null` if there is no such job (or it was cleaned up after retention, or
   * it belongs to another pool: ids are scoped to their pool). Throws if `jobId` is not a job id.
   * @param ctx a query, mutation or action context
   * @param jobId an id an enqueue returned
   * @returns the job's status, or null
   */
  async status(ctx: RunQueryCtx, jobId: JobId): Promise<JobStatus | null> {
    const where = this.where("status");
    checkQueryCtx(ctx, where);
    checkIdArg(jobId, this.idName, where);
    return await named(this.idName, where, () => ctx.runQuery(this.component.pool.status.status, { pool: this.options.name, jobId }));
  }

  /**
   * Statuses of several jobs, in the same order (`null` for gone or other pools' jobs).
   * @param ctx a query, mutation or action context
   * @param jobIds ids enqueues returned
   * @returns one status (or null) per id, in the same order
   */
  async statusBatch(ctx: RunQueryCtx, jobIds: JobId[]): Promise<(JobStatus | null)[]> {
    const where = this.where("statusBatch");
    checkQueryCtx(ctx, where);
    if (!Array.isArray(jobIds)) throw new Error(`${where}: \`${this.idName}s\` must be an array of ids, got ${describe(jobIds)}.`);
    jobIds.forEach((id, i) => checkIdArg(id, `${this.idName}s[${i}]`, where));
    return await named(this.idName, where, () =>
      ctx.runQuery(this.component.pool.status.statusBatch, { pool: this.options.name, jobIds }),
    );
  }

  /**
   * Cancels a job. A pending job never starts; a running job's result is discarded. Either way
   * onComplete receives `{ kind: "canceled" }`. Returns false if the job had already finished,
   * is gone, or belongs to another pool.
   * @param ctx a mutation or action context
   * @param jobId an id an enqueue returned
   * @returns true if this call canceled it
   */
  async cancel(ctx: RunMutationCtx, jobId: JobId): Promise<boolean> {
    const where = this.where("cancel");
    checkMutationCtx(ctx, where);
    checkIdArg(jobId, this.idName, where);
    return await named(this.idName, where, () => ctx.runMutation(this.component.pool.cancel.cancel, { pool: this.options.name, jobId }));
  }

  /**
   * Cancels every job of this pool that exists now (pending ones in background batches).
   * @param ctx a mutation or action context
   */
  async cancelAll(ctx: RunMutationCtx): Promise<void> {
    checkMutationCtx(ctx, this.where("cancelAll"));
    await ctx.runMutation(this.component.pool.cancel.cancelAll, { pool: this.options.name });
  }

  /**
   * Deletes a finished job's record now instead of after the retention window. Returns false if
   * the job is not finished, is already gone, or belongs to another pool.
   * @param ctx a mutation or action context
   * @param jobId an id an enqueue returned
   * @returns true if the job's record was deleted
   */
  async cleanup(ctx: RunMutationCtx, jobId: JobId): Promise<boolean> {
    const where = this.where("cleanup");
    checkMutationCtx(ctx, where);
    checkIdArg(jobId, this.idName, where);
    return await named(this.idName, where, () =>
      ctx.runMutation(this.component.pool.retention.cleanup, { pool: this.options.name, jobId }),
    );
  }
}
