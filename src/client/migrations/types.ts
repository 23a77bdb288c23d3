/** Types for the migrations client. */
import type {
  DocumentByName,
  FunctionReference,
  FunctionVisibility,
  GenericDatabaseReader,
  GenericDataModel,
  GenericMutationCtx,
  MutationBuilder,
  NamedTableInfo,
  OrderedQuery,
  QueryInitializer,
  SchemaDefinition,
  TableNamesInDataModel,
  WithoutSystemFields,
} from "convex/server";
import type { RetryPolicy } from "../../shared/validators.js";

export type { MigrationStatus, MigrationState, MigrationError } from "../../shared/migrations.js";

/** A migration: the internal mutation `migrations.define(...)` returned, as `internal.file.name`. */
export type MigrationRef = FunctionReference<"mutation", FunctionVisibility>;

/** Fields to patch onto a document: what `migrateOne` may return. */
export type MigrationPatch<DataModel extends GenericDataModel, Table extends TableNamesInDataModel<DataModel>> = Partial<
  WithoutSystemFields<DocumentByName<DataModel, Table>>
>;

/** One migration, as given to `migrations.define`. */
export interface MigrationDefinition<DataModel extends GenericDataModel, Table extends TableNamesInDataModel<DataModel>> {
  /**
   * Optional: the name you export it under, `"setDefaultRole"` (completed with
   * `migrationsLocationPrefix` if set), or in full, `"migrations:setDefaultRole"`. Without it
   * (the official package's form) the migration is identified by the function it is run through,
   * which is asked, in a transaction that rolls back, whether it is a migration. With it, the
   * migration is found without asking, and a call under another export name is refused. Either
   * way its state is kept under its function name ("migrations:setDefaultRole").
   */
  name?: string;
  /** The table to walk through. */
  table: Table;
  /**
   * Migrates one document. Return a partial document (a plain object) to patch it, or write
   * through `ctx.db` yourself and return nothing (`undefined` or `null`). Any other return value
   * (a number, an array, a string...) fails the migration at once, naming the document. Runs inside the batch's transaction: with `onError: "fail"`
   * a throw rolls back the whole batch; with "skip", writes made before the throw are kept.
   */
  migrateOne: (
    ctx: GenericMutationCtx<DataModel>,
    doc: DocumentByName<DataModel, Table>,
  ) => Promise<MigrationPatch<DataModel, Table> | void> | MigrationPatch<DataModel, Table> | void;
  /**
   * Restricts the walk to an index range, e.g. `(q) => q.withIndex("by_role", (q) => q.eq("role", undefined))`.
   * Default: the whole table in `_creationTime` order. Keep it stable: the saved cursor belongs to it.
   */
  customRange?: (
    query: QueryInitializer<NamedTableInfo<DataModel, Table>>,
  ) => OrderedQuery<NamedTableInfo<DataModel, Table>>;
  /** Documents per batch (one transaction each). Default: the Migrations' `defaultBatchSize` (100). */
  batchSize?: number;
  /**
   * Migrate a batch's documents concurrently (`Promise.all` inside the batch's transaction)
   * instead of one after another. Only for a `migrateOne` whose calls do not depend on each
   * other: two calls that read then update the same document would lose an update. Default false.
   */
  parallelize?: boolean;
  /** What a throwing migrateOne does: "fail" (default) the batch, or "skip" the document (counted, id recorded). */
  onError?: "fail" | "skip";
  /** Retries of a failed batch. Default: the Migrations' `retry`, else 5 attempts from 250 ms. */
  retry?: Partial<RetryPolicy>;
  /**
   * How many documents the range holds, read when the migration starts, for progress and ETA.
   * Counting means reading: return a counter you keep, or count a small table (see docs).
   */
  estimateTotal?: (ctx: { db: GenericDatabaseReader<DataModel> }) => Promise<number>;
}

/**
 * A definition for any one of the app's tables: a union discriminated by `table`, so `migrateOne`
 * is typed for that table (and a returned literal like `{ role: "member" }` keeps its type).
 */
export type AnyMigrationDefinition<DataModel extends GenericDataModel> = {
  [Table in TableNamesInDataModel<DataModel>]: MigrationDefinition<DataModel, Table>;
}[TableNamesInDataModel<DataModel>];

/** Options for `new Migrations(component, options)`. */
export interface MigrationsOptions<DataModel extends GenericDataModel> {
  /**
   * The builder for batch mutations, if your app wraps `internalMutation` (triggers, custom
   * functions). Default: convex's `internalMutationGeneric`.
   */
  internalMutation?: MutationBuilder<DataModel, "internal">;
  /** Documents per batch when a migration does not say. Default 100. */
  defaultBatchSize?: number;
  /** Retry policy for failed batches when a migration does not say. */
  retry?: Partial<RetryPolicy>;
  /**
   * Lets you name migrations without their file, as the official package: with "migrations:",
   * `{"fn":"setDefaultRole"}` means "migrations:setDefaultRole" (in the runner, `next`, and every
   * method taking a name). Must end with ":". Default: none (names are "file:export").
   */
  migrationsLocationPrefix?: string;
  /** How many changed documents a dry run shows before/after. Default 10. */
  dryRunSamples?: number;
  /**
   * Your schema (`import schema from "./schema"`). With it, `define` refuses a table that is not
   * in it (naming the close ones); without it, a misspelled table is only seen as empty.
   */
  schema?: SchemaDefinition<any, boolean>;
}

/** What `dryRun` reports: one batch processed and rolled back. */
export interface DryRunReport {
  name: string;
  table: string;
  /** The cursor the batch started from (the migration's saved cursor, or the beginning). */
  cursor: string | null;
  batchSize: number;
  /** Documents in the batch. */
  documents: number;
  /** Documents migrateOne changed (compared before/after). */
  changed: number;
  /** Up to `dryRunSamples` changed documents; `after` is null if migrateOne deleted it. */
  samples: { _id: string; before: Record<string, unknown>; after: Record<string, unknown> | null }[];
  /** Documents whose migrateOne threw. */
  errors: { docId: string; message: string }[];
  /** True if this batch reached the end of the range. */
  isDone: boolean;
}

/** Arguments of the batch mutation `define` creates (the component and the client send them). */
export type BatchArgs = {
  describe?: boolean;
  dryRun?: boolean;
  name?: string;
  generation?: number;
  cursor?: string | null;
  batchSize?: number;
};

/**
 * What a migration made by `define` accepts. Called directly (the CLI, the dashboard, a test),
 * it starts itself: `{}` to run, plus the runner's `next`, `reset`, `dryRun`, `cursor`,
 * `batchSize`, `oneBatchOnly` (and `fn`, its own name, if the runtime cannot tell it).
 * The other fields are the component's, for running one batch.
 */
export type MigrationArgs = BatchArgs & {
  fn?: string;
  next?: string[];
  reset?: boolean;
  oneBatchOnly?: boolean;
};
