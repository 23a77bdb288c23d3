/**
 * `runToCompletion`: runs a migration's batches from the caller (an action, or a test) until it is
 * done, instead of scheduled steps. Each batch is still its own transaction when the caller is an
 * action, and still saves its cursor only from the saved one, so it is exactly as safe; but if the
 * caller dies, the migration waits (running) until something starts or resumes it.
 */
import type { MigrationSpec, MigrationStatus } from "../../shared/migrations.js";
import { classifyBatchError } from "../../shared/migrations.js";
import type { ComponentApi } from "../../component/_generated/component.js";
import type { RunMutationCtx } from "../ctx.js";
import { refOf, type MigrationName } from "./names.js";
import type { BatchArgs } from "./types.js";

/** Options of `runToCompletion`: the runner's, for this run. */
export interface RunToCompletionOptions {
  /** Start over from the beginning. */
  reset?: boolean;
  /** Start from this cursor (null: the beginning) instead of the saved one, even if done. */
  cursor?: string | null;
  /** Documents per batch for this run. */
  batchSize?: number;
}

/** Runs the migration's batches one after another until it is done; returns its final status. */
export async function runInline(
  ctx: RunMutationCtx,
  component: ComponentApi,
  fn: MigrationName,
  spec: MigrationSpec,
  options: RunToCompletionOptions,
): Promise<MigrationStatus> {
  const started = await ctx.runMutation(component.migrations.inline.start, { spec, ...options });
  const { generation } = started;
  let status = started.status;
  if (generation === null) return status; // done already
  const name = spec.name;
  while (status.state === "running") {
    const batch = { name, generation, cursor: status.cursor, batchSize: status.currentBatchSize } satisfies BatchArgs;
    try {
      await ctx.runMutation(refOf(fn), batch);
    } catch (e) {
      const failure = classifyBatchError(e);
      if (failure === "stale") break; // paused, canceled or taken over meanwhile
      const after = await ctx.runMutation(component.migrations.inline.recordFailure, { ...batch, failure });
      if (after) status = after;
      continue;
    }
    status = (await ctx.runQuery(component.migrations.status.get, { name }))!;
  }
  if (status.state === "running" || status.state === "paused" || status.state === "canceled") {
    status = (await ctx.runQuery(component.migrations.status.get, { name }))!;
  }
  if (status.state === "done") return status;
  if (status.state === "failed") {
    const where = status.lastError?.docId ? ` (document ${status.lastError.docId})` : "";
    throw new Error(
      `runToCompletion: migration "${name}" failed${where}: ${status.lastError?.message}. ` +
        `Fix it, then run it again: it continues from the failed batch.`,
    );
  }
  throw new Error(
    `runToCompletion: migration "${name}" stopped before it was done: it is ${status.state} ` +
      `(paused, canceled or started by another caller meanwhile), after ${status.processed} documents.`,
  );
}
