/**
 * Checks the options users pass when they define, run or query migrations, so a mistake fails at
 * the call with a message naming the option and the fix (an unknown key gets a "did you mean").
 */
import { normalizeRetryPolicy } from "../../shared/backoff.js";
import { DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE } from "../../shared/migrations.js";
import type { RetryPolicy } from "../../shared/validators.js";
import { checkBoolean, checkKeys, closest, describe } from "../../shared/validate.js";
import { checkPrefix, isFunctionReference, nameOf, type MigrationName } from "./names.js";

/** The keys `new Migrations(component, options)` accepts. */
export const OPTION_KEYS = [
  "internalMutation",
  "defaultBatchSize",
  "retry",
  "dryRunSamples",
  "schema",
  "migrationsLocationPrefix",
] as const;

const DEFAULT_DRY_RUN_SAMPLES = 10;

/** What `new Migrations(component, options)` keeps, checked and with defaults filled in. */
export interface ResolvedOptions {
  defaultBatchSize: number;
  retry: Required<RetryPolicy>;
  dryRunSamples: number;
  /** The app's table names, when a schema was given: `define` refuses others. */
  tables: string[] | undefined;
  /** `migrationsLocationPrefix`, or "". */
  prefix: string;
}

/**
 * Checks the constructor's options (all but the builder's type), so mistakes fail at import.
 * @param options as given to `new Migrations`
 */
export function resolveOptions(options: Record<string, any> | undefined): ResolvedOptions {
  checkKeys(options, OPTION_KEYS, "new Migrations");
  options ??= {};
  if (options.internalMutation !== undefined && typeof options.internalMutation !== "function") {
    throw new Error(`new Migrations: \`internalMutation\` must be your internalMutation builder (from "./_generated/server"), got ${describe(options.internalMutation)}.`);
  }
  if (options.retry !== undefined && (typeof options.retry !== "object" || options.retry === null)) {
    throw new Error(`new Migrations: \`retry\` must be a retry policy object like { maxAttempts: 5 }, got ${describe(options.retry)}.`);
  }
  const dryRunSamples = options.dryRunSamples ?? DEFAULT_DRY_RUN_SAMPLES;
  if (!Number.isInteger(dryRunSamples) || dryRunSamples < 0) {
    throw new Error(`new Migrations: \`dryRunSamples\` must be an integer >= 0, got ${describe(dryRunSamples)}.`);
  }
  return {
    defaultBatchSize: checkBatchSize(options.defaultBatchSize ?? DEFAULT_BATCH_SIZE, "new Migrations: `defaultBatchSize`"),
    retry: normalizeRetryPolicy(options.retry, "new Migrations: `retry`"),
    dryRunSamples,
    tables: tablesOf(options.schema),
    prefix: checkPrefix(options.migrationsLocationPrefix),
  };
}

/** The keys `migrations.define(definition)` accepts. */
export const DEFINE_KEYS = [
  "name",
  "table",
  "migrateOne",
  "customRange",
  "batchSize",
  "parallelize",
  "onError",
  "retry",
  "estimateTotal",
] as const;

/** The run options of `runSerially` (and the runner's arguments for the migration that starts now). */
export const RUN_KEYS = ["reset", "cursor", "batchSize", "oneBatchOnly"] as const;

/** Which migrations `status` (or `getStatus` with an object) reports. */
export interface StatusQuery {
  /** These migrations, in this order (unknown ones left out). Default: the most recent ones. */
  migrations?: MigrationName[];
  /** At most this many statuses. Default: 100 when `migrations` is not given. */
  limit?: number;
}

/** True when `getStatus` was given a `{ migrations, limit }` query rather than one migration. */
export function isStatusQuery(x: unknown): x is StatusQuery {
  return typeof x === "object" && x !== null && !Array.isArray(x) && !isFunctionReference(x);
}

/** The component's `list` arguments for a status query (a list of migrations, or `{ migrations, limit }`). */
export function statusArgs(which: MigrationName[] | StatusQuery | undefined, where: string): { names?: string[]; limit?: number } {
  if (which === undefined) return {};
  if (Array.isArray(which)) return { names: which.map((fn) => nameOf(fn, where)) };
  if (!isStatusQuery(which)) {
    throw new Error(`${where}: \`fns\` must be an array of migrations, or { migrations?, limit? }; got ${describe(which)}.`);
  }
  checkKeys(which, ["migrations", "limit"], where);
  const { migrations, limit } = which;
  if (migrations !== undefined && !Array.isArray(migrations)) {
    throw new Error(`${where}: \`migrations\` must be a list, e.g. [internal.migrations.setDefaultRole], got ${describe(migrations)}.`);
  }
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new Error(`${where}: \`limit\` must be a positive integer, got ${describe(limit)}.`);
  }
  return { ...(migrations ? { names: migrations.map((fn) => nameOf(fn, where)) } : {}), ...(limit === undefined ? {} : { limit }) };
}

/** How to run the migration that starts now (`runOne`, `runSerially`, the runner's arguments). */
export interface MigrationRunOptions {
  /** Forget the progress of the given migrations and start them from the beginning. */
  reset?: boolean;
  /**
   * Start from this cursor (a `cursor` from a status; null: the beginning) instead of the saved
   * one, even if the migration is done. An error if it is running (pause or cancel it first).
   */
  cursor?: string | null;
  /** Documents per batch for this run (1 to 8,192), instead of the migration's own `batchSize`. */
  batchSize?: number;
  /** Run one batch, then pause: `resume` (or running it again) continues. */
  oneBatchOnly?: boolean;
}

/**
 * Checks run options, naming the bad one; returns only the ones given.
 * @param keys the keys this call accepts (an unknown one is refused with a "did you mean")
 */
export function checkRunOptions(options: MigrationRunOptions, where: string, keys: readonly string[] = RUN_KEYS): MigrationRunOptions {
  checkKeys(options, keys, `${where} options`);
  const { reset, cursor, batchSize, oneBatchOnly } = options ?? {};
  if (cursor !== undefined && cursor !== null && typeof cursor !== "string") {
    throw new Error(`${where}: \`cursor\` must be a cursor string from a migration's status, or null for the beginning; got ${describe(cursor)}.`);
  }
  checkBoolean(reset, "reset", where);
  checkBoolean(oneBatchOnly, "oneBatchOnly", where);
  return {
    ...(reset ? { reset } : {}),
    ...(cursor === undefined ? {} : { cursor }),
    ...(batchSize === undefined ? {} : { batchSize: checkBatchSize(batchSize, `${where}: \`batchSize\``) }),
    ...(oneBatchOnly ? { oneBatchOnly } : {}),
  };
}

/** A batch size from 1 to MAX_BATCH_SIZE, or an Error saying so. */
export function checkBatchSize(size: number, where: string): number {
  if (!Number.isInteger(size) || size < 1 || size > MAX_BATCH_SIZE) {
    throw new Error(`${where} must be an integer from 1 to ${MAX_BATCH_SIZE}, got ${describe(size)}.`);
  }
  return size;
}

/**
 * Checks a definition given to `define` (everything but `batchSize` and `retry`, which are
 * resolved against the instance's defaults): unknown keys, the table (against the schema's
 * tables, if given), `migrateOne`, `onError`, `parallelize`, the functions and `name`.
 * @returns the `where` for later messages: `migrations.define (table "users")`
 */
export function checkDefinition(def: Record<string, unknown> | undefined, tables: string[] | undefined): string {
  checkKeys(def, DEFINE_KEYS, "migrations.define");
  if (typeof def?.table !== "string" || def.table.length === 0) {
    throw new Error('migrations.define: `table` must be the name of one of your tables, e.g. "users".');
  }
  const where = `migrations.define (table "${def.table}")`;
  checkTable(def.table, tables, where);
  if (typeof def.migrateOne !== "function") {
    throw new Error(`${where}: \`migrateOne\` must be a function (ctx, doc) => patch | void, got ${describe(def.migrateOne)}.`);
  }
  if (def.onError !== undefined && def.onError !== "fail" && def.onError !== "skip") {
    throw new Error(`${where}: \`onError\` must be "fail" or "skip", got ${describe(def.onError)}.`);
  }
  checkBoolean(def.parallelize, "parallelize", where);
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
  return where;
}

/** With a schema, a table must be one of it (a typo would otherwise migrate nothing, "done"). */
function checkTable(table: string, tables: string[] | undefined, where: string): void {
  if (!tables || tables.includes(table)) return;
  const near = closest(table, tables);
  throw new Error(
    `${where}: there is no table "${table}" in your schema.${near ? ` Did you mean "${near}"?` : ""} ` +
      `Tables: ${tables.map((t) => `"${t}"`).join(", ")}.`,
  );
}

/** Table names of a schema given to the constructor (undefined: no schema, no check). */
export function tablesOf(schema: unknown): string[] | undefined {
  if (schema === undefined) return undefined;
  const tables = (schema as { tables?: unknown } | null)?.tables;
  if (typeof tables !== "object" || tables === null) {
    throw new Error(`new Migrations: \`schema\` must be your schema (the default export of convex/schema.ts), got ${describe(schema)}.`);
  }
  return Object.keys(tables);
}
