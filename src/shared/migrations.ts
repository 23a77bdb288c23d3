/**
 * What the migrations component and client agree on: the status shape, the spec the client sends
 * to start a migration, and the errors a batch reports to the driver (as ConvexError data).
 */
import { ConvexError, v, type Infer } from "convex/values";
import { vRetryPolicy } from "./validators.js";

/** Default documents per batch (one transaction each). */
export const DEFAULT_BATCH_SIZE = 100;
/** Largest accepted batch size: a page this big already nears Convex's per-transaction limits. */
export const MAX_BATCH_SIZE = 8192;
/** At most this many skipped document ids are kept per migration (the count is exact). */
export const MAX_SKIPPED_IDS = 100;

/**
 * A migration's life:
 *
 *   pending ─▶ running ─▶ done
 *                │ ▲ ├──▶ failed   (retries exhausted; run/resume continues from the cursor)
 *                ▼ │ └──▶ canceled (run again continues from the cursor)
 *               paused
 *
 * "pending" means queued behind another migration (runSerially / next).
 */
export const vMigrationState = v.union(
  v.literal("pending"),
  v.literal("running"),
  v.literal("paused"),
  v.literal("done"),
  v.literal("failed"),
  v.literal("canceled"),
);
export type MigrationState = Infer<typeof vMigrationState>;

/** What the client sends to start a migration: everything the component needs to drive it. */
export const vMigrationSpec = v.object({
  /** The app function's name, e.g. "migrations:setDefaultRole"; the migration's key. */
  name: v.string(),
  /** Function handle of the app's batch mutation (made by `migrations.define`). */
  fnHandle: v.string(),
  table: v.string(),
  batchSize: v.number(),
  retry: vRetryPolicy,
  /** The table's size if the migration could tell (`estimateTotal`), for progress and ETA. */
  total: v.optional(v.number()),
});
export type MigrationSpec = Infer<typeof vMigrationSpec>;

/** What failed: one document's migrateOne, a transaction limit, or anything else. */
const vMigrationErrorKind = v.union(v.literal("migrateOne"), v.literal("limit"), v.literal("error"));

/** Why the last batch failed. `docId` is set when one document's migrateOne threw. */
export const vMigrationError = v.object({
  kind: vMigrationErrorKind,
  message: v.string(),
  docId: v.optional(v.string()),
  at: v.number(),
});
export type MigrationError = Infer<typeof vMigrationError>;

/** A migration's status, as `migrations.status` returns it. */
export const vMigrationStatus = v.object({
  name: v.string(),
  table: v.string(),
  state: vMigrationState,
  /** Documents processed by committed batches (skipped ones included). */
  processed: v.number(),
  /** Committed batches. */
  batches: v.number(),
  /** Where the next batch starts (null: the beginning). Opaque pagination cursor. */
  cursor: v.union(v.string(), v.null()),
  /** Configured documents per batch. */
  batchSize: v.number(),
  /** The size the next batch will use: smaller than batchSize after a transaction-limit split. */
  currentBatchSize: v.number(),
  /** How many times a batch hit a transaction limit and was split. */
  splits: v.number(),
  /** Failed attempts of the current batch (reset by each committed batch). */
  attempts: v.number(),
  skipped: v.number(),
  /** Ids of skipped documents (onError "skip"), the first MAX_SKIPPED_IDS only. */
  skippedIds: v.array(v.string()),
  lastError: v.optional(vMigrationError),
  startedAt: v.optional(v.number()),
  endedAt: v.optional(v.number()),
  /** Estimated number of documents in the range, if known (see `estimateTotal`). */
  total: v.optional(v.number()),
  /** 0..1, only when `total` is known (or the migration is done). An estimate while running. */
  progress: v.optional(v.number()),
  /** Estimated ms left, from the rate of this run's committed batches and `total`. */
  etaMs: v.optional(v.number()),
  /** Migrations that run after this one, in order. */
  next: v.array(v.string()),
  /** For a pending migration: the one it is queued behind. */
  waitingOn: v.optional(v.string()),
  /**
   * Something the numbers alone do not say. Set when a migration finished without finding a
   * single document: the table (or range) was empty, or does not exist (a misspelled name; pass
   * `schema` to `new Migrations` to catch that at `define`).
   */
  note: v.optional(v.string()),
});
export type MigrationStatus = Infer<typeof vMigrationStatus>;

/**
 * ConvexError data a batch throws so the driver (or a dry run) can tell failures apart.
 * "stale": the batch started from a cursor that is no longer the saved one (another copy, a
 * pause or a cancel got there first): its writes are rolled back and nothing is recorded.
 */
export type BatchErrorData =
  | { kind: "migrateOne"; message: string; docId: string; nonRetryable?: boolean }
  | { kind: "limit"; message: string; docId?: string }
  | { kind: "stale"; message: string }
  | { kind: "dryRun"; report: unknown }
  // The component's probe (migrations/probe:describe), identifying a migration by its function:
  | { kind: "described"; description: unknown }
  | { kind: "notMigration" }
  | { kind: "probeFailed"; message: string };

/**
 * Marker on every ConvexError a batch throws to talk to the other side: the errors ("migrateOne",
 * "limit", the component's "stale") and the dry run's report, which is a reply, not a failure.
 */
export const BATCH_REPLY_MARKER = "convex-jobs/migrations";

/**
 * True for Convex's per-transaction limit errors (too many documents or bytes read or written,
 * too many index ranges or scheduled functions). Recognised by message: Convex does not give
 * them a code. Shared with the tests, which check it against convex-test's wording.
 */
export function isLimitError(message: string): boolean {
  return /too (many|much|large)\b.*(single function execution|transaction|mutation|limit)|this is a convex limit/i.test(
    message,
  );
}

/** Reads `{ kind, ... }` data off a ConvexError-like value, if it carries our marker. */
export function batchErrorData(e: unknown): BatchErrorData | undefined {
  const data = (e as { data?: unknown } | null)?.data;
  if (data && typeof data === "object" && (data as { marker?: unknown }).marker === BATCH_REPLY_MARKER) {
    return data as BatchErrorData;
  }
  return undefined;
}

/** Normalises a function name as the CLI may spell it ("dir/file.js:fn" -> "dir/file:fn"). */
export function normalizeFunctionName(name: string): string {
  return name.replace(/\.(js|ts)(?=:)/, "");
}

/** A failed batch, as the driver (or runToCompletion) reports it to the component. */
export const vBatchFailure = v.object({
  kind: vMigrationErrorKind,
  message: v.string(),
  docId: v.optional(v.string()),
  /** migrateOne threw a NonRetryableError: fail now. */
  nonRetryable: v.optional(v.boolean()),
});
export type BatchFailure = Infer<typeof vBatchFailure>;

/**
 * Sorts a batch's error: "stale" (another run got there first; nothing to record), or the
 * failure to record. Our own ConvexErrors carry a kind; limit errors are known by message.
 */
export function classifyBatchError(e: unknown): "stale" | BatchFailure {
  const data = batchErrorData(e);
  if (data?.kind === "stale") return "stale";
  if (data?.kind === "migrateOne") {
    return { kind: "migrateOne", message: data.message, docId: data.docId, ...(data.nonRetryable ? { nonRetryable: true } : {}) };
  }
  if (data?.kind === "limit") return { kind: "limit", message: data.message, docId: data.docId };
  const message =
    e instanceof ConvexError && typeof e.data === "string" ? e.data : e instanceof Error ? e.message : String(e);
  return { kind: isLimitError(message) ? "limit" : "error", message };
}

/** Arguments that report a failed batch: which run and batch, and why. */
export const failedBatchArgs = {
  name: v.string(),
  generation: v.number(),
  /** The cursor the batch started from. */
  cursor: v.union(v.string(), v.null()),
  batchSize: v.number(),
  failure: vBatchFailure,
};
