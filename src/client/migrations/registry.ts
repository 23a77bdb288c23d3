/**
 * The migrations a `Migrations` instance defined, by function name. Starting a migration looks
 * its function up here: a function that is not a registered migration is refused without being
 * called, so identifying a migration never runs user code.
 *
 * Convex gives a registered function no way to learn its own export name, so `define` takes it
 * (`name: "setDefaultRole"`, or the full `"migrations:setDefaultRole"`). The batch mutation checks
 * on every call that it was called under that name, so a `name` that does not match the export
 * fails loudly at the first batch instead of running the wrong migration.
 */
import { closest } from "../../shared/validate.js";
import { normalizeFunctionName } from "../../shared/migrations.js";
import type { RetryPolicy } from "../../shared/validators.js";

/** What the registry keeps of one definition: enough to build the spec without calling it. */
export interface Registered {
  /** The name given to `define`: an export name, or "file:export". */
  name: string;
  table: string;
  batchSize: number;
  retry: Required<RetryPolicy>;
  /** Whether the migration must be asked for its total (it runs `estimateTotal`). */
  estimates: boolean;
}

/** True if the function name "file:export" is the one a definition registered as `name`. */
export function nameMatches(registered: string, fnName: string): boolean {
  const full = normalizeFunctionName(fnName);
  return registered.includes(":") ? normalizeFunctionName(registered) === full : full.split(":").pop() === registered;
}

/** Name -> definition, for one `Migrations` instance. */
export class Registry {
  private readonly entries = new Map<string, Registered>();

  /** Adds a definition; refuses a name already taken (two defines would answer to one name). */
  add(entry: Registered, where: string): void {
    const taken = [...this.entries.keys()].find(
      (n) => n === entry.name || nameMatches(n, entry.name) || nameMatches(entry.name, n),
    );
    if (taken !== undefined) {
      throw new Error(`${where}: \`name\` "${entry.name}" is already used by another migration of this Migrations instance ("${taken}"); names must be unique.`);
    }
    this.entries.set(entry.name, entry);
  }

  /**
   * The definition registered for function `fnName`, or a thrown Error that says why there is
   * none (and which names exist). The function is not called.
   */
  lookup(fnName: string, where: string): Registered {
    for (const entry of this.entries.values()) if (nameMatches(entry.name, fnName)) return entry;
    const names = [...this.entries.keys()];
    const near = closest(fnName.split(":").pop() ?? fnName, names.map((n) => n.split(":").pop()!));
    throw new Error(
      `${where}: could not call "${fnName}": it is not a migration defined with this Migrations instance, so it was not run. ` +
        (names.length === 0
          ? "No migrations are defined with a `name` yet: give each define its export name, e.g. define({ name: \"setDefaultRole\", table, migrateOne })."
          : `Defined: ${names.map((n) => `"${n}"`).join(", ")}.${near ? ` Did you mean "${near}"?` : ""} ` +
            "Each define needs `name` set to its export name."),
    );
  }
}
