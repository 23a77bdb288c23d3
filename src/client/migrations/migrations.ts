/**
 * `Migrations`: define batched migrations over the app's tables and run, watch and steer them.
 * The batches run as the app's own mutations (a component cannot read the app's tables); the
 * component keeps each migration's state and schedules the batches.
 */
import {
  createFunctionHandle,
  getFunctionName,
  internalMutationGeneric,
  makeFunctionReference,
  type GenericDataModel,
  type MutationBuilder,
  type RegisteredMutation,
} from "convex/server";
import { v } from "convex/values";
import type { ComponentApi } from "../../component/_generated/component.js";
import { normalizeRetryPolicy } from "../../shared/backoff.js";
import {
  DEFAULT_BATCH_SIZE,
  MAX_BATCH_SIZE,
  batchErrorData,
  normalizeFunctionName,
  type MigrationSpec,
  type MigrationStatus,
} from "../../shared/migrations.js";
import type { RetryPolicy } from "../../shared/validators.js";
import {
  checkBoolean,
  checkFunctionRef,
  checkKeys,
  checkMutationCtx,
  checkQueryCtx,
  closest,
  describe,
} from "../../shared/validate.js";
import type { RunMutationCtx, RunQueryCtx } from "../ctx.js";
import { batchArgs, batchHandler, type Description } from "./batch.js";
import { Registry } from "./registry.js";
import type { AnyMigrationDefinition, BatchArgs, DryRunReport, MigrationRef, MigrationsOptions } from "./types.js";

const DEFAULT_DRY_RUN_SAMPLES = 10;
const OPTION_KEYS = ["internalMutation", "defaultBatchSize", "retry", "dryRunSamples", "schema"] as const;
const DEFINE_KEYS = ["name", "table", "migrateOne", "customRange", "batchSize", "onError", "retry", "estimateTotal"] as const;

/** A migration given by reference (`internal.migrations.setDefaultRole`) or by name ("migrations:setDefaultRole"). */
export type MigrationName = MigrationRef | string;

/**
 * ```ts
 * export const migrations = new Migrations<DataModel>(components.jobs);
 * export const setDefaultRole = migrations.define({
 *   table: "users",
 *   migrateOne: async (ctx, user) => { if (user.role === undefined) return { role: "member" }; },
 * });
 * export const run = migrations.runner(); // npx convex run migrations:run '{"fn":"migrations:setDefaultRole"}'
 * ```
 */
export class Migrations<DataModel extends GenericDataModel> {
  private readonly mutationBuilder: MutationBuilder<DataModel, "internal">;
  private readonly defaultBatchSize: number;
  private readonly retry: Required<RetryPolicy>;
  private readonly dryRunSamples: number;
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
    options: MigrationsOptions<DataModel> = {},
  ) {
    if (typeof component !== "object" || component === null) {
      throw new Error(
        `new Migrations: \`component\` is ${describe(component)}: pass the mounted component, e.g. new Migrations<DataModel>(components.jobs) ` +
          `with \`components\` from "./_generated/api".`,
      );
    }
    checkKeys(options, OPTION_KEYS, "new Migrations");
    options ??= {};
    if (options.internalMutation !== undefined && typeof options.internalMutation !== "function") {
      throw new Error(`new Migrations: \`internalMutation\` must be your internalMutation builder (from "./_generated/server"), got ${describe(options.internalMutation)}.`);
    }
    this.mutationBuilder = options.internalMutation ?? (internalMutationGeneric as MutationBuilder<DataModel, "internal">);
    this.defaultBatchSize = checkBatchSize(options.defaultBatchSize ?? DEFAULT_BATCH_SIZE, "new Migrations: `defaultBatchSize`");
    if (options.retry !== undefined && (typeof options.retry !== "object" || options.retry === null)) {
      throw new Error(`new Migrations: \`retry\` must be a retry policy object like { maxAttempts: 5 }, got ${describe(options.retry)}.`);
    }
    this.retry = normalizeRetryPolicy(options.retry, "new Migrations: `retry`");
    const samples = options.dryRunSamples ?? DEFAULT_DRY_RUN_SAMPLES;
    if (!Number.isInteger(samples) || samples < 0) {
      throw new Error(`new Migrations: \`dryRunSamples\` must be an integer >= 0, got ${describe(samples)}.`);
    }
    this.tables = tablesOf(options.schema);
    this.dryRunSamples = samples;
  }

  /**
   * Defines a migration. Export the result from a file in `convex/`: it is the internal
   * mutation that runs one batch. Bound, so `const migration = migrations.define` works too.
   */
  define = (def: AnyMigrationDefinition<DataModel>): RegisteredMutation<"internal", BatchArgs, Promise<unknown>> => {
    checkKeys(def, DEFINE_KEYS, "migrations.define");
    if (typeof def?.table !== "string" || def.table.length === 0) {
      throw new Error('migrations.define: `table` must be the name of one of your tables, e.g. "users".');
    }
    const where = `migrations.define (table "${def.table}")`;
    this.checkTable(def.table, where);
    if (typeof def.migrateOne !== "function") {
      throw new Error(`${where}: \`migrateOne\` must be a function (ctx, doc) => patch | void, got ${describe(def.migrateOne)}.`);
    }
    if (def.onError !== undefined && def.onError !== "fail" && def.onError !== "skip") {
      throw new Error(`${where}: \`onError\` must be "fail" or "skip", got ${describe(def.onError)}.`);
    }
    for (const fn of ["customRange", "estimateTotal"] as const) {
      if (def[fn] !== undefined && typeof def[fn] !== "function") {
        throw new Error(`${where}: \`${fn}\` must be a function, got ${describe(def[fn])}.`);
      }
    }
    if (def.name !== undefined && (typeof def.name !== "string" || !/^[^:\s]+(:[^:\s]+)?$/.test(def.name))) {
      throw new Error(`${where}: \`name\` must be the migration's export name, e.g. "setDefaultRole" (or "file:export"), got ${describe(def.name)}.`);
    }
    if (def.retry !== undefined && (typeof def.retry !== "object" || def.retry === null)) {
      throw new Error(`${where}: \`retry\` must be a retry policy object like { maxAttempts: 5 }, got ${describe(def.retry)}.`);
    }
    const resolved = {
      ...def,
      batchSize: checkBatchSize(def.batchSize ?? this.defaultBatchSize, `${where}: \`batchSize\``),
      onError: def.onError ?? "fail",
      resolvedRetry: def.retry ? normalizeRetryPolicy({ ...this.retry, ...def.retry }, `${where}: \`retry\``) : this.retry,
      dryRunSamples: this.dryRunSamples,
    };
    if (def.name !== undefined) {
      this.registry.add(
        { name: def.name, table: def.table, batchSize: resolved.batchSize, retry: resolved.resolvedRetry, estimates: !!def.estimateTotal },
        where,
      );
    }
    return this.mutationBuilder({ args: batchArgs, handler: batchHandler(this.component, resolved) as any }) as any;
  };

  /** With a schema, a table must be one of it (a typo would otherwise migrate nothing, "done"). */
  private checkTable(table: string, where: string): void {
    if (!this.tables || this.tables.includes(table)) return;
    const near = closest(table, this.tables);
    throw new Error(
      `${where}: there is no table "${table}" in your schema.${near ? ` Did you mean "${near}"?` : ""} ` +
        `Tables: ${this.tables.map((t) => `"${t}"`).join(", ")}.`,
    );
  }

  /**
   * An internal mutation to run migrations from the CLI. Export it (e.g. as `run`), then:
   * `npx convex run migrations:run '{"fn":"migrations:setDefaultRole"}'`
   * Args: `fn` (one) or `fns` (several, in order), optional `next`, `reset`, `dryRun`.
   */
  runner() {
    return this.mutationBuilder({
      args: {
        fn: v.optional(v.string()),
        fns: v.optional(v.array(v.string())),
        next: v.optional(v.array(v.string())),
        reset: v.optional(v.boolean()),
        dryRun: v.optional(v.boolean()),
      },
      handler: async (ctx, args): Promise<MigrationStatus[] | DryRunReport> => {
        const fns = [...(args.fn ? [args.fn] : []), ...(args.fns ?? []), ...(args.next ?? [])];
        if (fns.length === 0) {
          throw new Error(`migrations runner: pass \`fn\` (e.g. {"fn":"migrations:setDefaultRole"}) or \`fns\` (a list, run in order).`);
        }
        if (args.dryRun) {
          if (fns.length > 1) throw new Error("migrations runner: `dryRun` takes a single `fn`.");
          return await this.dryRun(ctx as RunMutationCtx, fns[0]);
        }
        return await this.runSerially(ctx as RunMutationCtx, fns, { reset: args.reset });
      },
    });
  }

  /**
   * Starts a migration (and, with `next`, the ones to run after it). No-op if it is done (unless
   * `reset`: start over from the beginning); if it is already running, no second copy starts.
   * A failed, paused or canceled one continues from its saved cursor. Returns its status.
   */
  async runOne(
    ctx: RunMutationCtx,
    fn: MigrationName,
    options: { reset?: boolean; next?: MigrationName[] } = {},
  ): Promise<MigrationStatus> {
    checkKeys(options, ["reset", "next"], "migrations.runOne options");
    options ??= {};
    if (options.next !== undefined && !Array.isArray(options.next)) {
      throw new Error(`migrations.runOne: \`next\` must be an array of migrations, got ${describe(options.next)}.`);
    }
    const [status] = await this.start(ctx, [fn, ...(options.next ?? [])], options.reset, "migrations.runOne");
    return status;
  }

  /**
   * Runs migrations one after another: each starts when the previous one is done; done ones are
   * skipped (unless \`reset\`); a failure stops the series (later ones stay "pending"). Returns the
   * statuses of all of them.
   */
  async runSerially(ctx: RunMutationCtx, fns: MigrationName[], options: { reset?: boolean } = {}): Promise<MigrationStatus[]> {
    checkKeys(options, ["reset"], "migrations.runSerially options");
    return await this.start(ctx, fns, options?.reset, "migrations.runSerially");
  }

  private async start(ctx: RunMutationCtx, fns: MigrationName[], reset: unknown, where: string): Promise<MigrationStatus[]> {
    checkMutationCtx(ctx, where);
    if (!Array.isArray(fns) || fns.length === 0) {
      throw new Error(`${where}: pass a non-empty list of migrations, e.g. [internal.migrations.a, internal.migrations.b].`);
    }
    checkBoolean(reset, "reset", where);
    const specs: MigrationSpec[] = [];
    for (const fn of fns) specs.push(await this.spec(ctx, fn, where));
    return await ctx.runMutation(this.component.migrations.run.start, { specs, reset: reset as boolean | undefined });
  }

  /**
   * Runs one batch from the migration's saved cursor (or the beginning) and rolls it back:
   * reports how many documents would change, with before/after samples. Writes nothing.
   * Call it from a mutation or an action.
   */
  async dryRun(ctx: RunMutationCtx, fn: MigrationName): Promise<DryRunReport> {
    const where = "migrations.dryRun";
    checkMutationCtx(ctx, where);
    const name = nameOf(fn, where);
    this.registry.lookup(name, where);
    const saved = await this.getStatus(ctx, name);
    const args: BatchArgs = { dryRun: true, name, cursor: saved?.state === "done" ? null : (saved?.cursor ?? null) };
    try {
      await ctx.runMutation(refOf(fn, where) as any, args);
    } catch (e) {
      const data = batchErrorData(e);
      if (data?.kind === "dryRun") return data.report as DryRunReport;
      throw e;
    }
    throw new Error(`${where}: "${name}" did not report; is it defined with migrations.define?`);
  }

  /** Statuses of the given migrations, or of the 100 most recent ones. */
  async status(ctx: RunQueryCtx, fns?: MigrationName[]): Promise<MigrationStatus[]> {
    checkQueryCtx(ctx, "migrations.status");
    if (fns !== undefined && !Array.isArray(fns)) {
      throw new Error(`migrations.status: \`fns\` must be an array of migrations (or omitted for all), got ${describe(fns)}.`);
    }
    return await ctx.runQuery(this.component.migrations.status.list, { names: fns?.map((fn) => nameOf(fn, "migrations.status")) });
  }

  /** One migration's status, or null if it never ran. */
  async getStatus(ctx: RunQueryCtx, fn: MigrationName): Promise<MigrationStatus | null> {
    checkQueryCtx(ctx, "migrations.getStatus");
    return await ctx.runQuery(this.component.migrations.status.get, { name: nameOf(fn, "migrations.getStatus") });
  }

  /** Stops a migration (and its queued successors). Running it again continues from its cursor. */
  async cancel(ctx: RunMutationCtx, fn: MigrationName): Promise<MigrationStatus | null> {
    checkMutationCtx(ctx, "migrations.cancel");
    return await ctx.runMutation(this.component.migrations.run.cancel, { name: nameOf(fn, "migrations.cancel") });
  }

  /** Pauses a running migration; \`resume\` continues it from its cursor. */
  async pause(ctx: RunMutationCtx, fn: MigrationName): Promise<MigrationStatus | null> {
    checkMutationCtx(ctx, "migrations.pause");
    return await ctx.runMutation(this.component.migrations.run.pause, { name: nameOf(fn, "migrations.pause") });
  }

  /** Continues a paused, failed or canceled migration from its cursor, as it was started. */
  async resume(ctx: RunMutationCtx, fn: MigrationName): Promise<MigrationStatus | null> {
    checkMutationCtx(ctx, "migrations.resume");
    return await ctx.runMutation(this.component.migrations.run.resume, { name: nameOf(fn, "migrations.resume") });
  }

  /**
   * The spec the component stores, from the registry: nothing is called to identify the
   * migration. Only a registered migration with \`estimateTotal\` is then asked for its total.
   */
  private async spec(ctx: RunMutationCtx, fn: MigrationName, where: string): Promise<MigrationSpec> {
    const name = nameOf(fn, where);
    const entry = this.registry.lookup(name, where);
    const ref = refOf(fn, where);
    let total: number | undefined;
    if (entry.estimates) {
      const description = (await ctx.runMutation(ref as any, { describe: true, name })) as Description;
      total = description.total;
    }
    return {
      name,
      fnHandle: await createFunctionHandle(ref),
      table: entry.table,
      batchSize: entry.batchSize,
      retry: entry.retry,
      ...(total === undefined ? {} : { total }),
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

function checkBatchSize(size: number, where: string): number {
  if (!Number.isInteger(size) || size < 1 || size > MAX_BATCH_SIZE) {
    throw new Error(`${where} must be an integer from 1 to ${MAX_BATCH_SIZE}, got ${size}.`);
  }
  return size;
}

function nameOf(fn: MigrationName, where = "migrations"): string {
  if (typeof fn === "string") {
    if (!fn.includes(":")) {
      throw new Error(`${where}: "${fn}" is not a function name; use "file:export", e.g. "migrations:setDefaultRole".`);
    }
    return normalizeFunctionName(fn);
  }
  return normalizeFunctionName(checkFunctionRef(fn, "fn", where));
}

function refOf(fn: MigrationName, where: string): MigrationRef {
  return typeof fn === "string" ? makeFunctionReference<"mutation">(nameOf(fn, where)) : fn;
}

/** Table names of a schema given to the constructor (undefined: no schema, no check). */
function tablesOf(schema: unknown): string[] | undefined {
  if (schema === undefined) return undefined;
  const tables = (schema as { tables?: unknown } | null)?.tables;
  if (typeof tables !== "object" || tables === null) {
    throw new Error(`new Migrations: \`schema\` must be your schema (the default export of convex/schema.ts), got ${describe(schema)}.`);
  }
  return Object.keys(tables);
}
