/** How a migration is named: by function reference or by "file:export" string. */
import { getFunctionName, makeFunctionReference } from "convex/server";
import { normalizeFunctionName } from "../../shared/migrations.js";
import type { MigrationRef } from "./types.js";

/** A migration given by reference (`internal.migrations.setDefaultRole`) or by name ("migrations:setDefaultRole"). */
export type MigrationName = MigrationRef | string;

/** The migration's key: its function name, "file:export". */
export function nameOf(fn: MigrationName): string {
  if (typeof fn === "string") {
    if (!fn.includes(":")) {
      throw new Error(`migrations: "${fn}" is not a function name; use "file:export", e.g. "migrations:setDefaultRole" (or set migrationsLocationPrefix).`);
    }
    return normalizeFunctionName(fn);
  }
  return normalizeFunctionName(getFunctionName(fn));
}

/** A reference the client can call, whichever way the migration was given. */
export function refOf(fn: MigrationName): MigrationRef {
  return typeof fn === "string" ? makeFunctionReference<"mutation">(nameOf(fn)) : fn;
}

/** True for a function reference (`internal.x.y`, `makeFunctionReference(...)`), false for a plain object. */
export function isFunctionReference(x: unknown): boolean {
  return typeof x === "object" && x !== null && typeof (x as Record<symbol, unknown>)[Symbol.for("functionName")] === "string";
}
