/** How a migration is named: by function reference or by "file:export" string. */
import { makeFunctionReference } from "convex/server";
import { normalizeFunctionName } from "../../shared/migrations.js";
import { checkFunctionRef, describe } from "../../shared/validate.js";
import type { MigrationRef } from "./types.js";

/** A migration given by reference (`internal.migrations.setDefaultRole`) or by name ("migrations:setDefaultRole"). */
export type MigrationName = MigrationRef | string;

/**
 * The migration's key: its function name, "file:export". Refuses, naming `fn` and the fix,
 * undefined, the registered function object itself and a name without its file.
 * @param where the method, for messages (`migrations.runOne`)
 */
export function nameOf(fn: MigrationName, where = "migrations"): string {
  if (typeof fn === "string") {
    if (!fn.includes(":")) {
      throw new Error(
        `${where}: "${fn}" is not a function name; use "file:export", e.g. "migrations:setDefaultRole" (or set migrationsLocationPrefix).`,
      );
    }
    return normalizeFunctionName(fn);
  }
  return normalizeFunctionName(checkFunctionRef(fn, "fn", where));
}

/** A reference the client can call, whichever way the migration was given. */
export function refOf(fn: MigrationName, where = "migrations"): MigrationRef {
  return typeof fn === "string" ? makeFunctionReference<"mutation">(nameOf(fn, where)) : fn;
}

/** True for a function reference (`internal.x.y`, `makeFunctionReference(...)`), false for a plain object. */
export function isFunctionReference(x: unknown): boolean {
  return typeof x === "object" && x !== null && typeof (x as Record<symbol, unknown>)[Symbol.for("functionName")] === "string";
}

/**
 * Applies `migrationsLocationPrefix` ("migrations:") to a name given without its file:
 * "setDefaultRole" -> "migrations:setDefaultRole". References and full names pass unchanged.
 */
export function withPrefix<F extends MigrationName | undefined>(prefix: string, fn: F): F {
  return (typeof fn === "string" && prefix !== "" && !fn.includes(":") ? prefix + fn : fn) as F;
}

/** Checks `migrationsLocationPrefix`: "" (none) or a "file:" prefix. */
export function checkPrefix(prefix: unknown): string {
  if (prefix === undefined) return "";
  if (typeof prefix !== "string" || (prefix !== "" && !/^[^:\s]+:$/.test(prefix))) {
    throw new Error(
      `new Migrations: \`migrationsLocationPrefix\` must be a "file:" prefix such as "migrations:" or "dir/file:", got ${describe(prefix)}.`,
    );
  }
  return prefix;
}
