/**
 * Checks the options users pass when they run or query migrations, so a mistake fails at the
 * call with a message naming the option and the fix.
 */
import { MAX_BATCH_SIZE } from "../../shared/migrations.js";
import { isFunctionReference, nameOf, type MigrationName } from "./names.js";

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
  if (Array.isArray(which)) return { names: which.map(nameOf) };
  if (!isStatusQuery(which)) {
    throw new Error(`${where}: pass a list of migrations or { migrations?, limit? }, got ${String(which)}.`);
  }
  for (const key of Object.keys(which)) {
    if (key !== "migrations" && key !== "limit") {
      throw new Error(`${where}: unknown option \`${key}\`; the options are \`migrations\` (a list) and \`limit\`.`);
    }
  }
  const { migrations, limit } = which;
  if (migrations !== undefined && !Array.isArray(migrations)) {
    throw new Error(`${where}: \`migrations\` must be a list, e.g. [internal.migrations.setDefaultRole].`);
  }
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new Error(`${where}: \`limit\` must be a positive integer, got ${String(limit)}.`);
  }
  return { ...(migrations ? { names: migrations.map(nameOf) } : {}), ...(limit === undefined ? {} : { limit }) };
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

/** Checks run options, naming the bad one; returns only the ones given. */
export function checkRunOptions(options: MigrationRunOptions, where: string): MigrationRunOptions {
  const { reset, cursor, batchSize, oneBatchOnly } = options;
  if (cursor !== undefined && cursor !== null && typeof cursor !== "string") {
    throw new Error(`${where}: \`cursor\` must be a cursor string from a migration's status, or null for the beginning; got ${String(cursor)}.`);
  }
  for (const [key, value] of Object.entries({ reset, oneBatchOnly })) {
    if (value !== undefined && typeof value !== "boolean") {
      throw new Error(`${where}: \`${key}\` must be true or false, got ${String(value)}.`);
    }
  }
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
    throw new Error(`${where} must be an integer from 1 to ${MAX_BATCH_SIZE}, got ${size}.`);
  }
  return size;
}
