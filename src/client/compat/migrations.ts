/**
 * `convex-jobs/migrations`: the official @convex-dev/migrations client API on convex-jobs, so
 * code written for it runs after changing only the import paths. Written from that package's
 * documented API (its README and type declarations, 0.3.6), not from its source.
 *
 * `define`, the runners and direct calls are the main entry point's (`convex-jobs`), which
 * already take the official arguments. What differs is what the methods return: the official
 * `MigrationStatus` (`state` "inProgress" | "success" | "failed" | "canceled" | "unknown",
 * `isDone`, `error`, `latestStart`, `latestEnd`) instead of ours, one status from `runOne`,
 * `runSerially` and `cancel`, and `runToCompletion` typed for an action. Everything convex-jobs
 * adds (pause, resume, dryRun reports, retries, progress) stays reachable through `jobs`, the
 * main entry point's instance this one wraps; both share the component and the stored state.
 */
import type { DataModelFromSchemaDefinition, FunctionReference, GenericDataModel, SchemaDefinition } from "convex/server";
import { v, type Infer, type ObjectType } from "convex/values";
import type { ComponentApi } from "../../component/_generated/component.js";
import { DEFAULT_BATCH_SIZE, type MigrationStatus as OurStatus } from "../../shared/migrations.js";
import { checkKeys } from "../../shared/validate.js";
import type { RunMutationCtx, RunQueryCtx } from "../ctx.js";
import { runToCompletion as ourRunToCompletion } from "../migrations/free.js";
import { Migrations as OurMigrations } from "../migrations/migrations.js";
import { runnerArgs } from "../migrations/runner.js";
import type { MigrationsOptions } from "../migrations/types.js";

export { DEFAULT_BATCH_SIZE };

/** Arguments a migration (or the runner) accepts from the CLI, official names. */
export const migrationArgs = {
  fn: runnerArgs.fn,
  cursor: runnerArgs.cursor,
  batchSize: runnerArgs.batchSize,
  dryRun: runnerArgs.dryRun,
  next: runnerArgs.next,
  reset: runnerArgs.reset,
  oneBatchOnly: runnerArgs.oneBatchOnly,
};
/** The arguments of a migration or a runner. */
export type MigrationArgs = ObjectType<typeof migrationArgs>;

/** A migration, as the official package types it: `internal.migrations.setDefaultValue`. */
export type MigrationFunctionReference = FunctionReference<"mutation", "internal">;

/** One batch's outcome, official shape. */
export type MigrationResult = { continueCursor: string; isDone: boolean; processed: number };

/** Validator for a migration's status, official shape. */
export const migrationStatus = v.object({
  name: v.string(),
  cursor: v.optional(v.union(v.string(), v.null())),
  processed: v.number(),
  isDone: v.boolean(),
  error: v.optional(v.string()),
  state: v.union(v.literal("inProgress"), v.literal("success"), v.literal("failed"), v.literal("canceled"), v.literal("unknown")),
  latestStart: v.number(),
  latestEnd: v.optional(v.number()),
  batchSize: v.optional(v.number()),
  next: v.optional(v.array(v.string())),
});
/** A migration's status, official shape. */
export type MigrationStatus = Infer<typeof migrationStatus>;

/**
 * Our status in the official shape. "running", "pending" (queued behind another migration) and
 * "paused" are all "inProgress": not done, and continuing without being started again (a paused
 * one once resumed). A migration that never ran is "unknown".
 */
export function toOfficialStatus(s: OurStatus | null, name: string): MigrationStatus {
  if (s === null) return { name, processed: 0, isDone: false, state: "unknown", latestStart: 0 };
  const state = s.state === "done" ? "success" : s.state === "failed" || s.state === "canceled" ? s.state : "inProgress";
  return {
    name: s.name,
    cursor: s.cursor,
    processed: s.processed,
    isDone: s.state === "done",
    ...(s.state === "failed" && s.lastError ? { error: s.lastError.message } : {}),
    state,
    latestStart: s.startedAt ?? 0,
    ...(s.endedAt === undefined ? {} : { latestEnd: s.endedAt }),
    batchSize: s.batchSize,
    next: s.next,
  };
}

type Options<DataModel extends GenericDataModel, Schema> = Omit<MigrationsOptions<DataModel>, "schema"> & {
  schema?: Schema extends SchemaDefinition<any, boolean> ? Schema : SchemaDefinition<any, boolean>;
};

/**
 * The official `Migrations` class on convex-jobs. Mount the component under the name your code
 * uses (`app.use(jobs, { name: "migrations" })` keeps `components.migrations`).
 * ```ts
 * export const migrations = new Migrations<DataModel>(components.migrations);
 * export const setDefaultValue = migrations.define({ table: "myTable", migrateOne: ... });
 * export const run = migrations.runner();
 * ```
 */
export class Migrations<
  DM extends GenericDataModel,
  Schema extends SchemaDefinition<any, boolean> | void = void,
  DataModel extends GenericDataModel = Schema extends SchemaDefinition<any, boolean> ? DataModelFromSchemaDefinition<Schema> : DM,
> {
  /** The main entry point's instance: pause, resume, dryRun, and statuses in convex-jobs' shape. */
  readonly jobs: OurMigrations<DM, Schema, DataModel>;
  /** Defines a migration (see `Migrations.define` of `convex-jobs`); export the result. */
  readonly define: OurMigrations<DM, Schema, DataModel>["define"];

  /**
   * @param component the mounted component (`components.migrations`)
   * @param options `internalMutation`, `defaultBatchSize`, `migrationsLocationPrefix`, `schema` (and convex-jobs' `retry`, `dryRunSamples`)
   */
  constructor(
    public readonly component: ComponentApi,
    options?: Options<DataModel, Schema>,
  ) {
    this.jobs = new OurMigrations<DM, Schema, DataModel>(component, options);
    this.define = this.jobs.define;
  }

  /**
   * An internal mutation to run migrations from the CLI: any one (`{fn: "migrations:x"}`), one
   * given here, or a series. Returns the statuses it started, in convex-jobs' shape.
   * @param specificMigrationOrSeries a migration, or migrations to run in order
   * @returns the internal mutation to export
   */
  runner(specificMigrationOrSeries?: MigrationFunctionReference | MigrationFunctionReference[]) {
    return this.jobs.runner(specificMigrationOrSeries);
  }

  /**
   * Starts a migration; no-op if done (unless `reset`, or a `cursor`). `dryRun` runs one batch,
   * rolls it back and throws its report.
   * @param ctx a mutation or action context
   * @param fnRef the migration
   * @param opts `cursor`, `batchSize`, `dryRun`, `reset`
   * @returns its status
   */
  async runOne(
    ctx: RunMutationCtx,
    fnRef: MigrationFunctionReference,
    opts: { cursor?: string | null; batchSize?: number; dryRun?: boolean; reset?: boolean } = {},
  ): Promise<MigrationStatus> {
    checkKeys(opts, ["cursor", "batchSize", "dryRun", "reset"], "migrations.runOne options");
    const { dryRun, ...run } = opts ?? {};
    if (dryRun) {
      const report = await this.jobs.dryRun(ctx, fnRef, { cursor: run.cursor, batchSize: run.batchSize });
      throw new Error(`DRY RUN of "${report.name}": ${report.changed} of ${report.documents} documents would change; rolled back. ${JSON.stringify(report)}`);
    }
    return toOfficialStatus(await this.jobs.runOne(ctx, fnRef, run), this.jobs.functionName(fnRef, "migrations.runOne"));
  }

  /**
   * Runs migrations one after another (done ones are skipped).
   * @param ctx a mutation or action context
   * @param fnRefs the migrations, in order
   * @returns the status of the one running now (or the last, if all are done)
   */
  async runSerially(ctx: RunMutationCtx, fnRefs: MigrationFunctionReference[]): Promise<MigrationStatus | undefined> {
    const all = await this.jobs.runSerially(ctx, fnRefs);
    const current = all.find((s) => s.state !== "done") ?? all[all.length - 1];
    return current && toOfficialStatus(current, current.name);
  }

  /**
   * Statuses: of `migrations` (those that never ran are "unknown"), or the `limit` most recent.
   * @param ctx a query, mutation or action context
   * @param query `{ migrations?, limit? }`
   * @returns their statuses
   */
  async getStatus(ctx: RunQueryCtx, query: { migrations?: (string | MigrationFunctionReference)[]; limit?: number } = {}): Promise<MigrationStatus[]> {
    const found = await this.jobs.status(ctx, query);
    if (query?.migrations === undefined) return found.map((s) => toOfficialStatus(s, s.name));
    const byName = new Map(found.map((s) => [s.name, s]));
    return query.migrations.map((fn) => {
      const name = this.jobs.functionName(fn, "migrations.getStatus");
      return toOfficialStatus(byName.get(name) ?? null, name);
    });
  }

  /**
   * Stops a migration; running it again continues from its cursor.
   * @param ctx a mutation or action context
   * @param migration the migration, by reference or name
   * @returns its status ("unknown" if it never ran)
   */
  async cancel(ctx: RunMutationCtx, migration: MigrationFunctionReference | string): Promise<MigrationStatus> {
    return toOfficialStatus(await this.jobs.cancel(ctx, migration), this.jobs.functionName(migration, "migrations.cancel"));
  }

  /**
   * Cancels every migration in progress.
   * @param ctx a mutation or action context
   * @returns the statuses of those it canceled
   */
  async cancelAll(ctx: RunMutationCtx): Promise<MigrationStatus[]> {
    return (await this.jobs.cancelAll(ctx)).map((s) => toOfficialStatus(s, s.name));
  }
}

/**
 * Runs a migration to the end from an action (or a test), batch after batch.
 * @param ctx an action context (or a test's `t.run`/`t.action`)
 * @param component the mounted component
 * @param fnRef the migration
 * @param opts `cursor`, `batchSize` (and convex-jobs' `reset`); `dryRun` and `name` are refused
 * @returns its final status
 */
export async function runToCompletion(
  ctx: RunMutationCtx,
  component: ComponentApi,
  fnRef: MigrationFunctionReference | string,
  opts: { cursor?: string | null; batchSize?: number; reset?: boolean } = {},
): Promise<MigrationStatus> {
  const done = await ourRunToCompletion(ctx, component, fnRef, opts);
  return toOfficialStatus(done, done.name);
}
