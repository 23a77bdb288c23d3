/**
 * Which migration a function is. `runOne`, `runSerially`, the runners, `dryRun` and
 * `runToCompletion` are given a function (a reference or a "file:export" name); before starting
 * it they need its table, batch size and retry policy, and they key its state by its function
 * name. A define with `name` is found in the registry without calling anything. A define without
 * `name` (the official package's form) is asked: the component's probe calls it with
 * `{ describe: true }` inside a transaction that always rolls back, so a plain mutation passed by
 * mistake is refused and nothing it did is kept.
 */
import { createFunctionHandle } from "convex/server";
import type { ComponentApi } from "../../component/_generated/component.js";
import { batchErrorData, type MigrationSpec } from "../../shared/migrations.js";
import type { RunMutationCtx } from "../ctx.js";
import type { Description } from "./batch.js";
import { nameOf, refOf, type MigrationName } from "./names.js";
import type { Registered, Registry } from "./registry.js";
import type { MigrationRef } from "./types.js";

/** A migration identified: its key (the function name), how to call it, and its definition. */
export interface Identified {
  name: string;
  ref: MigrationRef;
  entry: Registered;
  /** `estimateTotal`'s answer, when the definition has one and it was asked. */
  total?: number;
}

/** Where to look: the instance's registry, and the component (for the probe). */
export interface Lookup {
  component: ComponentApi;
  registry: Registry;
  /** A migration called directly: its own definition, found without the registry. */
  self?: Registered;
}

/**
 * Identifies `fn` (already completed with the prefix): the registry's (or `self`'s) definition,
 * else the function's own answer to the probe. Throws, naming the fix, when `fn` is no migration.
 * @param total also ask a registered definition with `estimateTotal` for its total
 */
export async function identify(ctx: RunMutationCtx, fn: MigrationName, where: string, at: Lookup, total = false): Promise<Identified> {
  const name = nameOf(fn, where);
  const ref = refOf(fn, where);
  const entry = at.self?.name === name ? at.self : at.registry.lookup(name, where);
  if (entry === undefined) {
    const description = await probe(ctx, ref, name, where, at);
    return { name, ref, entry: fromDescription(name, description), ...(description.total === undefined ? {} : { total: description.total }) };
  }
  if (!total || !entry.estimates) return { name, ref, entry };
  const description = (await ctx.runMutation(ref, { describe: true, name })) as Description;
  return { name, ref, entry, ...(description.total === undefined ? {} : { total: description.total }) };
}

/** The spec the component stores for `fn`. */
export async function specOf(ctx: RunMutationCtx, fn: MigrationName, where: string, at: Lookup): Promise<MigrationSpec> {
  const { name, ref, entry, total } = await identify(ctx, fn, where, at, true);
  return {
    name,
    fnHandle: await createFunctionHandle(ref),
    table: entry.table,
    batchSize: entry.batchSize,
    retry: entry.retry,
    ...(total === undefined ? {} : { total }),
  };
}

function fromDescription(name: string, d: Description): Registered {
  return { name, table: d.table, batchSize: d.batchSize, retry: d.retry, estimates: d.total !== undefined };
}

/** Asks the function, through the component, what migration it is; see the header. */
async function probe(ctx: RunMutationCtx, ref: MigrationRef, name: string, where: string, at: Lookup): Promise<Description> {
  const fix =
    `Pass a migration: the export of migrations.define(...), as internal.<file>.<export> or "<file>:<export>".${at.registry.hint(name)}`;
  let fnHandle: string;
  try {
    fnHandle = await createFunctionHandle(ref);
  } catch (e) {
    throw new Error(`${where}: there is no function "${name}" (${message(e)}), so nothing was run. ${fix}`, { cause: e });
  }
  try {
    await ctx.runMutation(at.component.migrations.probe.describe, { fnHandle, name });
  } catch (e) {
    const data = batchErrorData(e);
    if (data?.kind === "described") return data.description as Description;
    if (data?.kind === "notMigration") {
      throw new Error(`${where}: "${name}" is not a migration made by migrations.define (it was asked, and nothing it did was kept), so it was not run. ${fix}`, { cause: e });
    }
    const why = data?.kind === "probeFailed" ? data.message : message(e);
    throw new Error(`${where}: could not identify "${name}" as a migration: ${why}. ${fix}`, { cause: e });
  }
  throw new Error(`${where}: the component's probe returned instead of answering; is the convex-jobs component deployed at the same version as the client?`);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
