/**
 * The migrations a `Migrations` instance defined with a `name`, by function name. Starting a
 * migration looks its function up here first: a registered one is started without calling
 * anything to identify it.
 *
 * Convex gives a registered function no way to learn its own export name before it runs, so a
 * define may say it: `name: "setDefaultRole"` (with `migrationsLocationPrefix: "migrations:"`, or
 * written in full, `"migrations:setDefaultRole"`, the key is that one function; a bare name
 * without a prefix matches that export in any file). The batch mutation checks on every call
 * that it was called under that name, so a `name` that does not match the export fails loudly
 * instead of running the wrong migration. A define without `name` (the official package's form)
 * is not in the registry: it is identified by the function it is run through, which the client
 * asks through the component's probe (see identify.ts).
 */
import { closest } from "../../shared/validate.js";
import { normalizeFunctionName } from "../../shared/migrations.js";
import type { RetryPolicy } from "../../shared/validators.js";

/** What the registry keeps of one definition: enough to build the spec without calling it. */
export interface Registered {
  /** The key: "file:export", or a bare export name (matches that export in any file). */
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

/**
 * The registry key of a define's `name`: written in full, or completed with
 * `migrationsLocationPrefix`, else the bare export name.
 */
export function registryKey(name: string, prefix: string): string {
  if (name.includes(":")) return normalizeFunctionName(name);
  return prefix + name;
}

/**
 * Every registry of this process (one per `Migrations` instance). A migration not defined with
 * the instance asked is looked up in the others, so `runToCompletion(ctx,
 * component, fn)` and an instance made only to run migrations find those defined elsewhere in the
 * loaded modules (in a deployment, only modules the calling function's module imports are loaded).
 */
const everyRegistry = new Set<Registry>();

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
    // Only instances that define something are searched (and kept): a throwaway instance, as the
    // free runToCompletion makes on every call, is not.
    everyRegistry.add(this);
  }

  /** This instance's definition for function `fnName`, if any. */
  private find(fnName: string): Registered | undefined {
    for (const entry of this.entries.values()) if (nameMatches(entry.name, fnName)) return entry;
    return undefined;
  }

  /**
   * The definition registered for function `fnName`, or undefined if no instance registered it.
   * Nothing is called. A migration this instance did not define is looked up in the other
   * instances; they must agree on its name (a test that defines a module again made the latest
   * one, which wins), else this throws.
   */
  lookup(fnName: string, where: string): Registered | undefined {
    const own = this.find(fnName);
    if (own) return own;
    const elsewhere = [...everyRegistry].map((r) => r.find(fnName)).filter((e): e is Registered => e !== undefined);
    const keys = [...new Set(elsewhere.map((e) => e.name))];
    if (keys.length > 1) {
      throw new Error(
        `${where}: "${fnName}" is not defined with this Migrations instance, and other instances define ${keys.map((k) => `"${k}"`).join(" and ")}, ` +
          `so it was not run. Run it with the instance that defines it, or give each define its full name ("file:export").`,
      );
    }
    return elsewhere[elsewhere.length - 1];
  }

  /** For an error about `fnName`: the named migrations known here, and the closest one. */
  hint(fnName: string): string {
    const names = this.entries.size > 0 ? [...this.entries.keys()] : [...everyRegistry].flatMap((r) => [...r.entries.keys()]);
    if (names.length === 0) return "";
    const near = closest(fnName.split(":").pop() ?? fnName, names.map((n) => n.split(":").pop()!));
    return ` Named migrations: ${names.map((n) => `"${n}"`).join(", ")}.${near ? ` Did you mean "${near}"?` : ""}`;
  }
}
