/**
 * `Migrations`: define batched migrations over the app's tables and run, watch and steer them.
 * The batches run as the app's own mutations (a component cannot read the app's tables); the
 * component keeps each migration's state and schedules the batches.
 */
import {
  createFunctionHandle,
  internalMutationGeneric,
  type DataModelFromSchemaDefinition,
  type GenericDataModel,
  type SchemaDefinition,
  type GenericMutationCtx,
  type MutationBuilder,
  type RegisteredMutation,
} from "convex/server";
import type { ComponentApi } from "../../component/_generated/component.js";
import { normalizeRetryPolicy } from "../../shared/backoff.js";
import {
  BATCH_ERROR_MARKER,
  DEFAULT_BATCH_SIZE,
  batchErrorData,
  type MigrationSpec,
  type MigrationStatus,
} from "../../shared/migrations.js";
import type { RetryPolicy } from "../../shared/validators.js";
import type { RunMutationCtx, RunQueryCtx } from "../ctx.js";
import { batchArgs, batchHandler, type Description } from "./batch.js";
import { nameOf, refOf, type MigrationName } from "./names.js";
import { checkBatchSize, checkRunOptions, isStatusQuery, statusArgs, type MigrationRunOptions, type StatusQuery } from "./options.js";
import { runInline, type RunToCompletionOptions } from "./inline.js";
import { directCallArgs, fixedSeries, runFromArgs, runnerArgs, startFromDirectCall } from "./runner.js";
export type { MigrationName } from "./names.js";
import type { AnyMigrationDefinition, BatchArgs, DryRunReport, MigrationArgs, MigrationsOptions } from "./types.js";

const DEFAULT_DRY_RUN_SAMPLES = 10;

/**
 * ```ts
 * export const migrations = new Migrations<DataModel>(components.jobs); // or (components.jobs, { schema })
 * export const setDefaultRole = migrations.define({
 *   table: "users",
 *   migrateOne: async (ctx, user) => { if (user.role === undefined) return { role: "member" }; },
 * });
 * export const run = migrations.runner(); // npx convex run migrations:run '{"fn":"migrations:setDefaultRole"}'
 * ```
 */
export class Migrations<
  DM extends GenericDataModel,
  Schema extends SchemaDefinition<any, boolean> | void = void,
  // With `{ schema }` (the official package's form) the data model comes from the schema.
  DataModel extends GenericDataModel = Schema extends SchemaDefinition<any, boolean> ? DataModelFromSchemaDefinition<Schema> : DM,
> {
  private readonly mutationBuilder: MutationBuilder<DataModel, "internal">;
  private readonly defaultBatchSize: number;
  private readonly retry: Required<RetryPolicy>;
  private readonly dryRunSamples: number;
  private readonly prefix: string;

  /**
   * @param component `components.jobs` (or the name you mounted the component under)
   * @param options defaults for every migration; validated here, so mistakes fail at import
   */
  constructor(
    public readonly component: ComponentApi,
    options: MigrationsOptions<DataModel> & {
      /**
       * Your schema (`import schema from "./schema"`), as the official package takes it: only
       * gives the migrations their types, like `new Migrations<DataModel>(...)` does.
       */
      schema?: Schema;
    } = {},
  ) {
    this.mutationBuilder = options.internalMutation ?? (internalMutationGeneric as MutationBuilder<DataModel, "internal">);
    this.defaultBatchSize = checkBatchSize(options.defaultBatchSize ?? DEFAULT_BATCH_SIZE, "new Migrations: `defaultBatchSize`");
    this.retry = normalizeRetryPolicy(options.retry, "new Migrations: `retry`");
    const samples = options.dryRunSamples ?? DEFAULT_DRY_RUN_SAMPLES;
    if (!Number.isInteger(samples) || samples < 0) {
      throw new Error(`new Migrations: \`dryRunSamples\` must be an integer >= 0, got ${samples}.`);
    }
    this.dryRunSamples = samples;
    const prefix = options.migrationsLocationPrefix ?? "";
    if (typeof prefix !== "string" || (prefix !== "" && !prefix.endsWith(":"))) {
      throw new Error(`new Migrations: \`migrationsLocationPrefix\` must be a "file:" prefix such as "migrations:" or "dir/file:", got ${String(prefix)}.`);
    }
    this.prefix = prefix;
  }

  /** A name without "file:" gets `migrationsLocationPrefix` ("foo" -> "migrations:foo"). */
  private full = <F extends MigrationName | undefined>(fn: F): F =>
    (typeof fn === "string" && this.prefix !== "" && !fn.includes(":") ? this.prefix + fn : fn) as F;

  /** The runner's (or a direct call's) names, with the prefix applied. */
  private fullArgs = <A extends { fn?: string; fns?: string[]; next?: string[] }>(args: A): A => ({
    ...args,
    ...(args.fn === undefined ? {} : { fn: this.full(args.fn) }),
    ...(args.fns === undefined ? {} : { fns: args.fns.map(this.full) }),
    ...(args.next === undefined ? {} : { next: args.next.map(this.full) }),
  });

  /**
   * Defines a migration. Export the result from a file in `convex/`: it is the internal
   * mutation that runs one batch. Bound, so `const migration = migrations.define` works too.
   */
  define = (def: AnyMigrationDefinition<DataModel>): RegisteredMutation<"internal", MigrationArgs, Promise<unknown>> => {
    if (typeof def?.table !== "string" || def.table.length === 0) {
      throw new Error('migrations.define: `table` must be the name of one of your tables, e.g. "users".');
    }
    if (typeof def.migrateOne !== "function") {
      throw new Error(`migrations.define (table "${def.table}"): \`migrateOne\` must be a function (ctx, doc) => patch | void.`);
    }
    if (def.onError !== undefined && def.onError !== "fail" && def.onError !== "skip") {
      throw new Error(`migrations.define (table "${def.table}"): \`onError\` must be "fail" or "skip", got ${String(def.onError)}.`);
    }
    if (def.parallelize !== undefined && typeof def.parallelize !== "boolean") {
      throw new Error(`migrations.define (table "${def.table}"): \`parallelize\` must be true or false, got ${String(def.parallelize)}.`);
    }
    const where = `migrations.define (table "${def.table}")`;
    const resolved = {
      ...def,
      batchSize: checkBatchSize(def.batchSize ?? this.defaultBatchSize, `${where}: \`batchSize\``),
      onError: def.onError ?? "fail",
      resolvedRetry: def.retry ? normalizeRetryPolicy({ ...this.retry, ...def.retry }, `${where}: \`retry\``) : this.retry,
      dryRunSamples: this.dryRunSamples,
    };
    const batch = batchHandler(this.component, resolved);
    return this.mutationBuilder({
      args: { ...batchArgs, ...directCallArgs },
      // The component and the client always pass `describe`, `name` or `generation`; a call
      // with none of them comes from a user (the CLI, the dashboard, a test): it starts the migration.
      handler: (async (ctx: GenericMutationCtx<DataModel>, args: MigrationArgs) =>
        args.describe || args.name !== undefined || args.generation !== undefined
          ? await batch(ctx, args)
          : await startFromDirectCall(this, ctx as unknown as RunMutationCtx, this.fullArgs(args))) as any,
    }) as any;
  };

  /**
   * An internal mutation to run migrations from the CLI or the dashboard. Export it, then:
   * ```ts
   * export const run = migrations.runner();   // any migration:
   * // npx convex run migrations:run '{"fn":"migrations:setDefaultRole"}'
   * export const runAll = migrations.runner([internal.migrations.a, internal.migrations.b]); // a fixed series:
   * // npx convex run migrations:runAll
   * ```
   * Args: `fn` (one) or `fns` (several, in order) for a runner of any migration; `next`, `reset`,
   * `dryRun`, and for the migration that starts now `cursor`, `batchSize` and `oneBatchOnly`
   * (see {@link MigrationRunOptions}).
   * @param fixed one migration, or a list run in order: the runner runs those (then `next`).
   */
  runner(fixed?: MigrationName | MigrationName[]) {
    const series = fixedSeries(Array.isArray(fixed) ? fixed.map(this.full) : this.full(fixed));
    return this.mutationBuilder({
      args: runnerArgs,
      handler: async (ctx, args): Promise<MigrationStatus[] | DryRunReport> =>
        await runFromArgs(this, ctx as RunMutationCtx, this.fullArgs(args), series),
    });
  }

  /**
   * Starts a migration (and, with `next`, the ones to run after it). No-op if it is done (unless
   * `reset`: start over from the beginning, or `cursor`: start from there); if it is already
   * running, no second copy starts. A failed, paused or canceled one continues from its saved
   * cursor. `batchSize` and `oneBatchOnly` apply to this run. Returns its status.
   */
  async runOne(
    ctx: RunMutationCtx,
    fn: MigrationName,
    options: MigrationRunOptions & { next?: MigrationName[] } = {},
  ): Promise<MigrationStatus> {
    const { next, ...run } = options;
    const [status] = await this.runSerially(ctx, [fn, ...(next ?? [])].map(this.full), run);
    return status;
  }

  /**
   * Runs migrations one after another: each starts when the previous one is done; done ones are
   * skipped (unless `reset`); a failure stops the series (later ones stay "pending"). `cursor`
   * applies to the first migration, `batchSize` and `oneBatchOnly` to the one that starts now.
   * Returns the statuses of all of them.
   */
  async runSerially(ctx: RunMutationCtx, fns: MigrationName[], options: MigrationRunOptions = {}): Promise<MigrationStatus[]> {
    if (!Array.isArray(fns) || fns.length === 0) {
      throw new Error("migrations.runSerially: pass a non-empty list of migrations, e.g. [internal.migrations.a, internal.migrations.b].");
    }
    const run = checkRunOptions(options, "migrations.runSerially");
    const specs: MigrationSpec[] = [];
    for (const fn of fns) specs.push(await this.spec(ctx, this.full(fn)));
    return await ctx.runMutation(this.component.migrations.run.start, { specs, ...run });
  }

  /**
   * Runs one batch from `cursor`, else the migration's saved cursor (or the beginning), and rolls
   * it back: reports how many documents would change, with before/after samples. Writes nothing.
   * Call it from a mutation or an action.
   */
  async dryRun(ctx: RunMutationCtx, given: MigrationName, options: { cursor?: string | null; batchSize?: number } = {}): Promise<DryRunReport> {
    const fn = this.full(given);
    const name = nameOf(fn);
    const { cursor, batchSize } = checkRunOptions(options, "migrations.dryRun");
    const saved = cursor === undefined ? await this.getStatus(ctx, name) : null;
    const args: BatchArgs = {
      dryRun: true,
      name,
      cursor: cursor !== undefined ? cursor : saved?.state === "done" ? null : (saved?.cursor ?? null),
      ...(batchSize === undefined ? {} : { batchSize }),
    };
    try {
      await ctx.runMutation(refOf(fn) as any, args);
    } catch (e) {
      const data = batchErrorData(e);
      if (data?.kind === "dryRun") return data.report as DryRunReport;
      throw e;
    }
    throw new Error(`migrations.dryRun: "${name}" did not report; is it defined with migrations.define?`);
  }

  /**
   * Runs a migration to the end from here, batch after batch, and returns its final status:
   * from an action (each batch its own transaction) or a test (`t.run`, `t.action`). No-op if
   * done (unless `reset` or `cursor`); a running one is taken over. A failed batch fails the
   * migration and throws, naming the document (a transaction-limit failure is split and
   * retried at once). If the caller dies, the migration stays running until started again.
   */
  async runToCompletion(ctx: RunMutationCtx, fn: MigrationName, options: RunToCompletionOptions = {}): Promise<MigrationStatus> {
    const { reset, cursor, batchSize } = checkRunOptions(options, "migrations.runToCompletion");
    return await runInline(ctx, this.component, this.full(fn), await this.spec(ctx, this.full(fn)), { reset, cursor, batchSize });
  }

  /**
   * Statuses of many migrations at once: `status(ctx)` (the 100 most recent), `status(ctx, [fnA, fnB])`,
   * `status(ctx, { limit: 10 })` (the 10 most recent) or `status(ctx, { migrations: [...], limit })`.
   */
  async status(ctx: RunQueryCtx, which?: MigrationName[] | StatusQuery): Promise<MigrationStatus[]> {
    const named = Array.isArray(which)
      ? which.map(this.full)
      : isStatusQuery(which) && Array.isArray(which.migrations)
        ? { ...which, migrations: which.migrations.map(this.full) }
        : which;
    return await ctx.runQuery(this.component.migrations.status.list, statusArgs(named, "migrations.status"));
  }

  /** One migration's status, or null if it never ran. */
  async getStatus(ctx: RunQueryCtx, fn: MigrationName): Promise<MigrationStatus | null>;
  /** Many statuses, as the official package's `getStatus(ctx, { migrations, limit })`: same as `status`. */
  async getStatus(ctx: RunQueryCtx, query: StatusQuery): Promise<MigrationStatus[]>;
  async getStatus(ctx: RunQueryCtx, which: MigrationName | StatusQuery): Promise<MigrationStatus | null | MigrationStatus[]> {
    if (isStatusQuery(which)) return await this.status(ctx, which);
    return await ctx.runQuery(this.component.migrations.status.get, { name: nameOf(this.full(which)) });
  }

  /** Stops a migration (and its queued successors). Running it again continues from its cursor. */
  async cancel(ctx: RunMutationCtx, fn: MigrationName): Promise<MigrationStatus | null> {
    return await ctx.runMutation(this.component.migrations.run.cancel, { name: nameOf(this.full(fn)) });
  }

  /**
   * Cancels every migration that is running, paused or pending. Each keeps its cursor: running
   * it again continues where it stopped. Returns the statuses of the ones it canceled.
   */
  async cancelAll(ctx: RunMutationCtx): Promise<MigrationStatus[]> {
    return await ctx.runMutation(this.component.migrations.run.cancelAll, {});
  }

  /** Pauses a running migration; `resume` continues it from its cursor. */
  async pause(ctx: RunMutationCtx, fn: MigrationName): Promise<MigrationStatus | null> {
    return await ctx.runMutation(this.component.migrations.run.pause, { name: nameOf(this.full(fn)) });
  }

  /** Continues a paused, failed or canceled migration from its cursor, as it was started. */
  async resume(ctx: RunMutationCtx, fn: MigrationName): Promise<MigrationStatus | null> {
    return await ctx.runMutation(this.component.migrations.run.resume, { name: nameOf(this.full(fn)) });
  }

  /** Asks the batch mutation to describe itself, and makes the spec the component stores. */
  private async spec(ctx: RunMutationCtx, fn: MigrationName): Promise<MigrationSpec> {
    const name = nameOf(this.full(fn));
    const ref = refOf(this.full(fn));
    let description: Description | undefined;
    try {
      description = (await ctx.runMutation(ref as any, { describe: true })) as Description;
    } catch (e) {
      throw new Error(
        `migrations: could not call "${name}" (${e instanceof Error ? e.message : String(e)}). ` +
          `Pass a function exported from convex/ and made by migrations.define, named "file:export" (e.g. "migrations:setDefaultRole").`,
      );
    }
    if (description?.marker !== BATCH_ERROR_MARKER) {
      throw new Error(`migrations: "${name}" is not a migration; define it with migrations.define({ table, migrateOne }).`);
    }
    return {
      name,
      fnHandle: await createFunctionHandle(ref),
      table: description.table,
      batchSize: description.batchSize,
      retry: description.retry,
      ...(description.total === undefined ? {} : { total: description.total }),
    };
  }
}

/**
 * The seed's short form: a configured `define`.
 * ```ts
 * export const migration = makeMigration<DataModel>(components.jobs);
 * export const setDefaultRole = migration({ table: "users", migrateOne: ... });
 * ```
 * Run them with a `Migrations` instance (`new Migrations(components.jobs).runner()`).
 */
export function makeMigration<DataModel extends GenericDataModel>(
  component: ComponentApi,
  options?: MigrationsOptions<DataModel>,
): Migrations<DataModel>["define"] {
  return new Migrations<DataModel>(component, options).define;
}

/**
 * The official package's free function: runs `fn` to completion from an action or a test.
 * ```ts
 * await runToCompletion(ctx, components.jobs, internal.migrations.setDefaultRole);
 * ```
 * Same as `new Migrations(component).runToCompletion(ctx, fn, options)`.
 */
export async function runToCompletion(
  ctx: RunMutationCtx,
  component: ComponentApi,
  fn: MigrationName,
  options?: RunToCompletionOptions,
): Promise<MigrationStatus> {
  return await new Migrations<GenericDataModel>(component).runToCompletion(ctx, fn, options);
}
