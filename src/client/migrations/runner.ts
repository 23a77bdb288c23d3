/**
 * The runner: the internal mutation users export to start migrations from the CLI or the
 * dashboard. Its arguments are the official @convex-dev/migrations runner's, plus `fns`.
 */
import { v, type ObjectType } from "convex/values";
import type { MigrationStatus } from "../../shared/migrations.js";
import type { RunMutationCtx } from "../ctx.js";
import type { MigrationName } from "./names.js";
import type { DryRunReport } from "./types.js";
import type { MigrationRunOptions } from "./options.js";

/** The runner's arguments. */
export const runnerArgs = {
  /** The migration to run, "file:export". */
  fn: v.optional(v.string()),
  /** Several, run in order. */
  fns: v.optional(v.array(v.string())),
  /** Migrations to run after `fn`, in order. */
  next: v.optional(v.array(v.string())),
  /** Start over from the beginning (all the given migrations). */
  reset: v.optional(v.boolean()),
  /** Run one batch, roll it back and report what would change. */
  dryRun: v.optional(v.boolean()),
  /** Start the first migration from this cursor (null: the beginning), even if done. */
  cursor: v.optional(v.union(v.string(), v.null())),
  /** Documents per batch for the migration that starts now. */
  batchSize: v.optional(v.number()),
  /** Run one batch of the migration that starts now, then pause it. */
  oneBatchOnly: v.optional(v.boolean()),
};
export type RunnerArgs = ObjectType<typeof runnerArgs>;

/** What the runner needs from a `Migrations` instance. */
export interface Runnable {
  runSerially(ctx: RunMutationCtx, fns: MigrationName[], options?: MigrationRunOptions): Promise<MigrationStatus[]>;
  dryRun(ctx: RunMutationCtx, fn: MigrationName, options?: { cursor?: string | null; batchSize?: number }): Promise<DryRunReport>;
}

/** Runs what the runner's arguments ask for. Returns the statuses, or the dry-run report. */
export async function runFromArgs(
  migrations: Runnable,
  ctx: RunMutationCtx,
  args: RunnerArgs,
): Promise<MigrationStatus[] | DryRunReport> {
  const { fn, fns: list, next, dryRun, ...options } = args;
  const fns = [...(fn ? [fn] : []), ...(list ?? []), ...(next ?? [])];
  if (fns.length === 0) {
    throw new Error(`migrations runner: pass \`fn\` (e.g. {"fn":"migrations:setDefaultRole"}) or \`fns\` (a list, run in order).`);
  }
  if (dryRun) {
    if (fns.length > 1) throw new Error("migrations runner: `dryRun` takes a single `fn`.");
    if (options.reset || options.oneBatchOnly) {
      throw new Error("migrations runner: `dryRun` writes nothing; drop `reset` and `oneBatchOnly` (a dry run starts from `cursor`, or the saved cursor).");
    }
    return await migrations.dryRun(ctx, fns[0], { cursor: options.cursor, batchSize: options.batchSize });
  }
  return await migrations.runSerially(ctx, fns, options);
}
