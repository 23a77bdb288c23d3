/**
 * Checks the options users pass when they run or query migrations, so a mistake fails at the
 * call with a message naming the option and the fix.
 */
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
