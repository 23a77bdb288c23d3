/**
 * `Migrations`: define batched migrations over the app's tables and run, watch and steer them.
 * The batches run as the app's own mutations (a component cannot read the app's tables); the
 * component keeps each migration's state and schedules the batches.
 */
import {
  internalMutationGeneric,
  type DataModelFromSchemaDefinition,
  type GenericDataModel,
  type GenericMutationCtx,
  type MutationBuilder,
  type RegisteredMutation,
  type SchemaDefinition,
} from "convex/server";
import type { ComponentApi } from "../../component/_generated/component.js";
import { normalizeRetryPolicy } from "../../shared/backoff.js";
import { batchErrorData, type MigrationSpec, type MigrationStatus } from "../../shared/migrations.js";
import type { RetryPolicy } from "../../shared/validators.js";
import { checkKeys, checkMutationCtx, checkQueryCtx, describe } from "../../shared/validate.js";
import type { RunMutationCtx, RunQueryCtx } from "../ctx.js";
import { batchArgs, batchHandler } from "./batch.js";
import { runInline, type RunToCompletionOptions } from "./inline.js";
import { identify, specOf, type Lookup } from "./identify.js";
import { nameOf, withPrefix, type MigrationName } from "./names.js";
import {
  RUN_KEYS,
  checkBatchSize,
  checkDefinition,
  checkRunOptions,
  isStatusQuery,
  resolveOptions,
  statusArgs,
  type MigrationRunOptions,
  type StatusQuery,
} from "./options.js";
import { Registry, registryKey, type Registered } from "./registry.js";
import { directCallArgs, fixedSeries, ownName, runFromArgs, runnerArgs, startFromDirectCall, type Runnable } from "./runner.js";
import type { AnyMigrationDefinition, BatchArgs, DryRunReport, MigrationArgs, MigrationsOptions } from "./types.js";
export type { MigrationName } from "./names.js";

/**
 * ```ts
 * export const migrations = new Migrations<DataModel>(components.jobs); // or (components.jobs, { schema })
 * export const setDefaultRole = migrations.define({
 *   table: "users",
 *   migrateOne: async (ctx, user) => { if (user.role === undefined) return { role: "member" }; },
 * });
 * export const run = migrations.runner(); // npx convex run migrations:run '{"fn":"migrations:setDefaultRole"}'
 * ```
 * A migration is identified by its function name ("migrations:setDefaultRole"): its state is
 * kept under that name, whichever method runs it.
 */
export class Migrations<
  DM extends GenericDataModel,
  Schema extends SchemaDefinition<any, boolean> | void = void,
  // With `{ schema }` and no type argument (the official package's form) the data model comes from the schema.
  DataModel extends GenericDataModel = Schema extends SchemaDefinition<any, boolean> ? DataModelFromSchemaDefinition<Schema> : DM,
> {
  private readonly mutationBuilder: MutationBuilder<DataModel, "internal">;
  private readonly defaultBatchSize: number;
  private readonly retry: Required<RetryPolicy>;
  private readonly dryRunSamples: number;
  /** `migrationsLocationPrefix`, or "". */
  private readonly prefix: string;
  /** The app's table names, when a schema was given: `define` refuses others. */
  private readonly tables: string[] | undefined;
  /** The migrations defined here, by name: the only functions `runOne` and friends will call. */
  private readonly registry = new Registry();

  /**
   * @param component `components.jobs` (or the name you mounted the component under)
   * @param options defaults for every migration; validated here, so mistakes fail at import
   */
  constructor(
    public readonly component: ComponentApi,
    options: Omit<MigrationsOptions<DataModel>, "schema"> & {
      /**
       * Your schema (`import schema from "./schema"`): `define` refuses tables not in it, and,
       * without a type argument (the official package's form), it types the migrations.
       */
      schema?: Schema extends SchemaDefinition<any, boolean> ? Schema : SchemaDefinition<any, boolean>;
    } = {},
  ) {
    if (typeof component !== "object" || component === null) {
      throw new Error(
        `new Migrations: \`component\` is ${describe(component)}: pass the mounted component, e.g. new Migrations<DataModel>(components.jobs) ` +
          `with \`components\` from "./_generated/api".`,
      );
    }
    const { defaultBatchSize, retry, dryRunSamples, tables, prefix } = resolveOptions(options);
    this.mutationBuilder = (options?.internalMutation ?? internalMutationGeneric) as MutationBuilder<DataModel, "internal">;
    this.defaultBatchSize = defaultBatchSize;
    this.retry = retry;
    this.dryRunSamples = dryRunSamples;
    this.tables = tables;
    this.prefix = prefix;
  }

  /** A name without "file:" gets `migrationsLocationPrefix` ("foo" -> "migrations:foo"). */
  private full = <F extends MigrationName | undefined>(fn: F): F => withPrefix(this.prefix, fn);

  /**
   * The name a migration's state is kept under: its function name, "file:export" (a short name
   * completed with `migrationsLocationPrefix`). Nothing is called.
   * @param fn the migration, by reference or name
   * @param where the caller, for the error when `fn` names no function
   */
  functionName(fn: MigrationName, where = "migrations.functionName"): string {
    return nameOf(this.full(fn), where);
  }

  /** The runner's (or a direct call's) names, with the prefix applied. */
  private fullArgs = <A extends { fn?: string; fns?: string[]; next?: string[] }>(args: A): A => ({
    ...args,
    ...(args.fn === undefined ? {} : { fn: this.full(args.fn) }),
    ...(args.fns === undefined ? {} : { fns: args.fns.map(this.full) }),
    ...(args.next === undefined ? {} : { next: args.next.map(this.full) }),
  });

  /**
   * Defines a migration. Export the result from a file in `convex/`: it is the internal
   * mutation that runs one batch, and, called directly (`npx convex run migrations:x`), starts
   * the migration. It is identified by the function it is run through (`internal.migrations.x`,
   * "migrations:x"); `name` (its export name) is optional: with it, starting the migration looks
   * it up without asking the function. Bound, so `const migration = migrations.define` works too.
   * @param def the migration: `table`, `migrateOne`, and optionally `name`, `batchSize`, `retry`, `onError`, `estimateTotal`, `parallelize`, `customRange`
   * @returns the internal mutation to export: it runs one batch, and, called with no component arguments, starts the migration
   */
  define = (def: AnyMigrationDefinition<DataModel>): RegisteredMutation<"internal", MigrationArgs, Promise<unknown>> => {
    const where = checkDefinition(def as unknown as Record<string, unknown>, this.tables);
    const resolved = {
      ...def,
      batchSize: checkBatchSize(def.batchSize ?? this.defaultBatchSize, `${where}: \`batchSize\``),
      onError: def.onError ?? "fail",
      resolvedRetry: def.retry ? normalizeRetryPolicy({ ...this.retry, ...def.retry }, `${where}: \`retry\``) : this.retry,
      dryRunSamples: this.dryRunSamples,
      // The batch checks it is called under this name (the prefix applied).
      name: def.name === undefined ? undefined : registryKey(def.name, this.prefix),
    };
    const entry = (name: string): Registered => ({
      name,
      table: def.table,
      batchSize: resolved.batchSize,
      retry: resolved.resolvedRetry,
      estimates: !!def.estimateTotal,
    });
    if (resolved.name !== undefined) this.registry.add(entry(resolved.name), where);
    const batch = batchHandler(this.component, resolved);
    return this.mutationBuilder({
      args: { ...batchArgs, ...directCallArgs },
      // The component and the client always pass `describe`, `name` or `generation`; a call with
      // none of them comes from a user (the CLI, the dashboard, a test): it starts the migration.
      handler: (async (ctx: GenericMutationCtx<DataModel>, args: MigrationArgs) => {
        if (args.describe || args.name !== undefined || args.generation !== undefined) return await batch(ctx, args);
        const { fn, next, reset, oneBatchOnly, cursor, batchSize, dryRun } = this.fullArgs(args);
        const own = await ownName(ctx, fn, resolved.name);
        const run = { next, reset, oneBatchOnly, cursor, batchSize, dryRun };
        return await startFromDirectCall(this.runnable(entry(own)), ctx as unknown as RunMutationCtx, own, run);
      }) as any,
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
   * @returns the internal mutation to export; it returns the statuses it started (or a dry run's report)
   */
  runner(fixed?: MigrationName | MigrationName[]) {
    const series = fixedSeries(Array.isArray(fixed) ? fixed.map(this.full) : this.full(fixed));
    return this.mutationBuilder({
      args: runnerArgs,
      handler: async (ctx, args): Promise<MigrationStatus[] | DryRunReport> =>
        await runFromArgs(this.runnable(), ctx as RunMutationCtx, this.fullArgs(args), series),
    });
  }

  /**
   * Starts a migration (and, with `next`, the ones to run after it). No-op if it is done (unless
   * `reset`: start over from the beginning, or `cursor`: start from there); if it is already
   * running, no second copy starts. A failed, paused or canceled one continues from its saved
   * cursor. `batchSize` and `oneBatchOnly` apply to this run. Returns its status.
   * @param ctx a mutation or action context
   * @param fn the migration: its function reference or full name ("migrations:setDefaultRole")
   * @param options `reset`, `cursor`, `batchSize`, `oneBatchOnly`, and `next`: migrations to run after it, in order
   * @returns its status
   */
  async runOne(
    ctx: RunMutationCtx,
    fn: MigrationName,
    options: MigrationRunOptions & { next?: MigrationName[] } = {},
  ): Promise<MigrationStatus> {
    checkKeys(options, [...RUN_KEYS, "next"], "migrations.runOne options");
    const { next, ...run } = options ?? {};
    if (next !== undefined && !Array.isArray(next)) {
      throw new Error(`migrations.runOne: \`next\` must be an array of migrations, got ${describe(next)}.`);
    }
    const [status] = await this.start(ctx, [fn, ...(next ?? [])], run, "migrations.runOne");
    return status;
  }

  /**
   * Runs migrations one after another: each starts when the previous one is done; done ones are
   * skipped (unless `reset`); a failure stops the series (later ones stay "pending"). `cursor`
   * applies to the first migration, `batchSize` and `oneBatchOnly` to the one that starts now.
   * Returns the statuses of all of them.
   * @param ctx a mutation or action context
   * @param fns the migrations, in the order they run
   * @param options `reset`, `cursor`, `batchSize`, `oneBatchOnly`
   * @returns the statuses of all of them, in order
   */
  async runSerially(ctx: RunMutationCtx, fns: MigrationName[], options: MigrationRunOptions = {}): Promise<MigrationStatus[]> {
    return await this.start(ctx, fns, options, "migrations.runSerially");
  }

  /**
   * Runs one batch from `cursor`, else the migration's saved cursor (or the beginning), and rolls
   * it back: reports how many documents would change, with before/after samples. Writes nothing.
   * Call it from a mutation or an action.
   * @param ctx a mutation or action context
   * @param fn the migration
   * @param options `cursor` (where the batch starts) and `batchSize`
   * @returns what the batch would change: counts and before/after samples
   */
  async dryRun(ctx: RunMutationCtx, fn: MigrationName, options: { cursor?: string | null; batchSize?: number } = {}): Promise<DryRunReport> {
    return await this.dryRunOf(ctx, fn, options, "migrations.dryRun");
  }

  /**
   * Runs a migration to the end from here, batch after batch, and returns its final status:
   * from an action (each batch its own transaction) or a test (`t.run`, `t.action`). No-op if
   * done (unless `reset` or `cursor`); a running one is taken over. A failed batch fails the
   * migration and throws, naming the document (a transaction-limit failure is split and
   * retried at once). If the caller dies, the migration stays running until started again.
   * @param ctx an action context (or a test's `t.run`/`t.action`)
   * @param fn the migration
   * @param options `reset`, `cursor`, `batchSize`
   * @returns its final status
   */
  async runToCompletion(ctx: RunMutationCtx, fn: MigrationName, options: RunToCompletionOptions = {}): Promise<MigrationStatus> {
    const where = "migrations.runToCompletion";
    checkMutationCtx(ctx, where);
    const run = checkRunOptions(options, where, ["reset", "cursor", "batchSize"]);
    return await runInline(ctx, this.component, this.full(fn), await specOf(ctx, this.full(fn), where, this.lookup()), run);
  }

  /**
   * Statuses of many migrations at once: `status(ctx)` (the 100 most recent), `status(ctx, [fnA, fnB])`,
   * `status(ctx, { limit: 10 })` (the 10 most recent) or `status(ctx, { migrations: [...], limit })`.
   * @param ctx a query, mutation or action context
   * @param which the migrations (in that order), or `{ migrations?, limit? }`; omitted: the 100 most recent
   * @returns their statuses; migrations that never ran are left out
   */
  async status(ctx: RunQueryCtx, which?: MigrationName[] | StatusQuery): Promise<MigrationStatus[]> {
    checkQueryCtx(ctx, "migrations.status");
    const named = Array.isArray(which)
      ? which.map(this.full)
      : isStatusQuery(which) && Array.isArray(which.migrations)
        ? { ...which, migrations: which.migrations.map(this.full) }
        : which;
    return await ctx.runQuery(this.component.migrations.status.list, statusArgs(named, "migrations.status"));
  }

  /**
   * One migration's status, or null if it never ran.
   * @param ctx a query, mutation or action context
   * @param fn the migration
   * @returns its status, or null if it never ran
   */
  async getStatus(ctx: RunQueryCtx, fn: MigrationName): Promise<MigrationStatus | null>;
  /**
   * Many statuses, as the official package's `getStatus(ctx, { migrations, limit })`: same as `status`.
   * @param ctx a query, mutation or action context
   * @param query `{ migrations?, limit? }`
   * @returns their statuses, as `status`
   */
  async getStatus(ctx: RunQueryCtx, query: StatusQuery): Promise<MigrationStatus[]>;
  async getStatus(ctx: RunQueryCtx, which: MigrationName | StatusQuery): Promise<MigrationStatus | null | MigrationStatus[]> {
    checkQueryCtx(ctx, "migrations.getStatus");
    if (isStatusQuery(which)) return await this.status(ctx, which);
    return await ctx.runQuery(this.component.migrations.status.get, { name: nameOf(this.full(which), "migrations.getStatus") });
  }

  /**
   * Stops a migration (and its queued successors). Running it again continues from its cursor.
   * @param ctx a mutation or action context
   * @param fn the migration
   * @returns its status, or null if it never ran
   */
  async cancel(ctx: RunMutationCtx, fn: MigrationName): Promise<MigrationStatus | null> {
    checkMutationCtx(ctx, "migrations.cancel");
    return await ctx.runMutation(this.component.migrations.run.cancel, { name: nameOf(this.full(fn), "migrations.cancel") });
  }

  /**
   * Cancels every migration that is running, paused or pending. Each keeps its cursor: running
   * it again continues where it stopped. Returns the statuses of the ones it canceled.
   * @param ctx a mutation or action context
   * @returns the statuses of the migrations it canceled
   */
  async cancelAll(ctx: RunMutationCtx): Promise<MigrationStatus[]> {
    checkMutationCtx(ctx, "migrations.cancelAll");
    return await ctx.runMutation(this.component.migrations.run.cancelAll, {});
  }

  /**
   * Pauses a running migration; `resume` continues it from its cursor.
   * @param ctx a mutation or action context
   * @param fn the migration
   * @returns its status, or null if it never ran
   */
  async pause(ctx: RunMutationCtx, fn: MigrationName): Promise<MigrationStatus | null> {
    checkMutationCtx(ctx, "migrations.pause");
    return await ctx.runMutation(this.component.migrations.run.pause, { name: nameOf(this.full(fn), "migrations.pause") });
  }

  /**
   * Continues a paused, failed or canceled migration from its cursor, as it was started.
   * @param ctx a mutation or action context
   * @param fn the migration
   * @returns its status, or null if it never ran
   */
  async resume(ctx: RunMutationCtx, fn: MigrationName): Promise<MigrationStatus | null> {
    checkMutationCtx(ctx, "migrations.resume");
    return await ctx.runMutation(this.component.migrations.run.resume, { name: nameOf(this.full(fn), "migrations.resume") });
  }

  /** Where `identify` looks for a migration's definition. */
  private lookup(self?: Registered): Lookup {
    return { component: this.component, registry: this.registry, ...(self ? { self } : {}) };
  }

  /**
   * What the runner calls. `self`: a migration called directly, which is its own definition
   * (found without the registry, so a define without `name` can start itself).
   */
  private runnable(self?: Registered): Runnable {
    const where = self ? `migration "${self.name}" (called directly)` : "migrations runner";
    return {
      status: (ctx, which) => this.status(ctx, which),
      runSerially: (ctx, fns, options = {}) => this.start(ctx, fns, options, where, self),
      dryRun: (ctx, fn, options = {}) => this.dryRunOf(ctx, fn, options, where, self),
    };
  }

  private async start(
    ctx: RunMutationCtx,
    fns: MigrationName[],
    options: MigrationRunOptions,
    where: string,
    self?: Registered,
  ): Promise<MigrationStatus[]> {
    checkMutationCtx(ctx, where);
    if (!Array.isArray(fns) || fns.length === 0) {
      throw new Error(`${where}: pass a non-empty list of migrations, e.g. [internal.migrations.a, internal.migrations.b].`);
    }
    const run = checkRunOptions(options, where);
    const specs: MigrationSpec[] = [];
    for (const fn of fns) specs.push(await specOf(ctx, this.full(fn), where, this.lookup(self)));
    return await ctx.runMutation(this.component.migrations.run.start, { specs, ...run });
  }

  private async dryRunOf(
    ctx: RunMutationCtx,
    given: MigrationName,
    options: { cursor?: string | null; batchSize?: number },
    where: string,
    self?: Registered,
  ): Promise<DryRunReport> {
    checkMutationCtx(ctx, where);
    const { name, ref } = await identify(ctx, this.full(given), where, this.lookup(self));
    const { cursor, batchSize } = checkRunOptions(options, where, ["cursor", "batchSize"]);
    const saved = cursor === undefined ? await this.getStatus(ctx, name) : null;
    const args: BatchArgs = {
      dryRun: true,
      name,
      cursor: cursor !== undefined ? cursor : saved?.state === "done" ? null : (saved?.cursor ?? null),
      ...(batchSize === undefined ? {} : { batchSize }),
    };
    try {
      await ctx.runMutation(ref, args);
    } catch (e) {
      const data = batchErrorData(e);
      if (data?.kind === "dryRun") return data.report as DryRunReport;
      throw e;
    }
    throw new Error(`${where}: "${name}" did not report; is it defined with migrations.define?`);
  }
}
