/**
 * The runner: the internal mutation users export to start migrations from the CLI or the
 * dashboard. Its arguments are the official @convex-dev/migrations runner's, plus `fns`.
 */
import { v, type ObjectType } from "convex/values";
import { normalizeFunctionName, type MigrationStatus } from "../../shared/migrations.js";
import type { RunMutationCtx } from "../ctx.js";
import { isFunctionReference, nameOf, type MigrationName } from "./names.js";
import { nameMatches } from "./registry.js";
import { describe } from "../../shared/validate.js";
import type { DryRunReport } from "./types.js";
import type { MigrationRunOptions } from "./options.js";

/** The runner's arguments. */
export const runnerArgs = {
  /** The migration to run, "file:export". */
  fn: v.optional(v.string()),
  /** Several, run in order. */
  fns: v.optional(v.array(v.string())),
  /** Migrations to run after `fn`, in order. */
  next: v.optional(v.array(v.string())),
  /** Start over from the beginning (all the given migrations). */
  reset: v.optional(v.boolean()),
  /** Run one batch, roll it back and report what would change. */
  dryRun: v.optional(v.boolean()),
  /** Start the first migration from this cursor (null: the beginning), even if done. */
  cursor: v.optional(v.union(v.string(), v.null())),
  /** Documents per batch for the migration that starts now. */
  batchSize: v.optional(v.number()),
  /** Run one batch of the migration that starts now, then pause it. */
  oneBatchOnly: v.optional(v.boolean()),
};
export type RunnerArgs = ObjectType<typeof runnerArgs>;

/** What the runner needs from a `Migrations` instance. */
export interface Runnable {
  status(ctx: RunMutationCtx, which: MigrationName[]): Promise<MigrationStatus[]>;
  runSerially(ctx: RunMutationCtx, fns: MigrationName[], options?: MigrationRunOptions): Promise<MigrationStatus[]>;
  dryRun(ctx: RunMutationCtx, fn: MigrationName, options?: { cursor?: string | null; batchSize?: number }): Promise<DryRunReport>;
}

/**
 * Checks what `runner(...)` was given at import: nothing (a runner for any migration), one
 * migration, or a list run in order. Returns the fixed list, if any.
 */
export function fixedSeries(fixed: MigrationName | MigrationName[] | undefined): MigrationName[] | undefined {
  if (fixed === undefined) return undefined;
  const list = Array.isArray(fixed) ? fixed : [fixed];
  if (list.length === 0) {
    throw new Error("migrations.runner: the list is empty; pass migrations to run in order, e.g. [internal.migrations.a, internal.migrations.b], or nothing for a runner that takes `fn`.");
  }
  const names = new Set<string>();
  for (const fn of list) {
    if (typeof fn !== "string" && !isFunctionReference(fn)) {
      throw new Error(`migrations.runner: ${describe(fn)} is not a migration; pass references like internal.migrations.setDefaultRole or "file:export" names.`);
    }
    const name = nameOf(fn, "migrations.runner");
    if (names.has(name)) throw new Error(`migrations.runner: "${name}" is listed twice; list each migration once.`);
    names.add(name);
  }
  return list;
}

/**
 * Runs what the runner's arguments ask for: the runner's fixed series (then `next`), or `fn`,
 * `fns` and `next`. Returns the statuses, or the dry-run report.
 */
export async function runFromArgs(
  migrations: Runnable,
  ctx: RunMutationCtx,
  args: RunnerArgs,
  fixed?: MigrationName[],
): Promise<MigrationStatus[] | DryRunReport> {
  const { fn, fns: list, next, dryRun, ...options } = args;
  if (fixed && (fn !== undefined || list !== undefined)) {
    throw new Error(
      `migrations runner: this runner runs ${fixed.map((f) => `"${nameOf(f)}"`).join(", ")}; call it without \`fn\`/\`fns\` (add more with \`next\`), or export a runner() for any migration.`,
    );
  }
  const fns: MigrationName[] = [...(fixed ?? []), ...(fn ? [fn] : []), ...(list ?? []), ...(next ?? [])];
  if (fns.length === 0) {
    throw new Error(`migrations runner: pass \`fn\` (e.g. {"fn":"migrations:setDefaultRole"}) or \`fns\` (a list, run in order).`);
  }
  if (dryRun) {
    if (options.reset || options.oneBatchOnly) {
      throw new Error("migrations runner: `dryRun` writes nothing; drop `reset` and `oneBatchOnly` (a dry run starts from `cursor`, or the saved cursor).");
    }
    return await migrations.dryRun(ctx, await dryRunTarget(migrations, ctx, fns, fixed !== undefined), {
      cursor: options.cursor,
      batchSize: options.batchSize,
    });
  }
  return await migrations.runSerially(ctx, fns, options);
}

/** A dry run tries `fn`; for a fixed series, the first migration in it that is not done. */
async function dryRunTarget(migrations: Runnable, ctx: RunMutationCtx, fns: MigrationName[], series: boolean): Promise<MigrationName> {
  if (fns.length === 1) return fns[0];
  if (!series) throw new Error("migrations runner: `dryRun` takes a single `fn`.");
  const done = new Set((await migrations.status(ctx, fns)).filter((s) => s.state === "done").map((s) => s.name));
  const target = fns.find((f) => !done.has(nameOf(f)));
  if (target === undefined) throw new Error("migrations runner: every migration of this series is done; pass `reset` to run them again.");
  return target;
}

/**
 * Arguments of a migration called directly (`npx convex run migrations:setDefaultRole '{...}'`),
 * beyond the batch's own `cursor`, `batchSize` and `dryRun`: the official package's.
 */
export const directCallArgs = {
  fn: runnerArgs.fn,
  next: runnerArgs.next,
  reset: runnerArgs.reset,
  oneBatchOnly: runnerArgs.oneBatchOnly,
};

/** A ctx that may tell the running function its own name (Convex 1.36+, and convex-test). */
export type MetaCtx = RunMutationCtx & { meta?: { getFunctionMetadata?: () => Promise<{ name: string }> } };

/**
 * The name of a migration called directly: from `ctx.meta`, else from its define's full `name`,
 * else `fn` when it matches the define's `name`. Refuses an `fn` that is not its own name, and a
 * define whose `name` is not the export it runs as (a wrong `name` would start another function).
 * @param definedAs the define's registry key (its `name`, completed with the prefix), if any
 */
export async function ownName(ctx: MetaCtx, fn: string | undefined, definedAs: string | undefined): Promise<string> {
  const given = fn === undefined ? undefined : nameOf(fn, "migration called directly");
  const meta = ctx.meta?.getFunctionMetadata ? normalizeFunctionName((await ctx.meta.getFunctionMetadata()).name) : undefined;
  const own = meta ?? (definedAs?.includes(":") ? definedAs : given);
  if (own === undefined) {
    throw new Error(
      'This Convex runtime does not tell a function its name: pass it, e.g. {"fn":"migrations:setDefaultRole"}, or use the runner (migrations:run).',
    );
  }
  if (definedAs !== undefined && !nameMatches(definedAs, own)) {
    throw new Error(
      `This migration is defined with name "${definedAs}" but was called as "${own}": set \`name\` in its define to its export name.`,
    );
  }
  if (meta === undefined && definedAs === undefined) {
    // Nothing vouches for `fn`: starting it could call another function with batch arguments.
    throw new Error(
      `This Convex runtime does not tell a function its name, and this migration's define has no \`name\`: give it one (e.g. name: "${own.split(":").pop()}").`,
    );
  }
  if (given !== undefined && given !== own) {
    throw new Error(`This is the migration "${own}": \`fn\` must be its own name or left out, got "${given}". To run another one, call it, or the runner.`);
  }
  return own;
}

/**
 * A migration called directly starts itself, as the runner would with `fn` set to its own name
 * (`migrations` resolves that name to the caller's own definition, not through the registry).
 * Returns its status (or the dry-run report).
 */
export async function startFromDirectCall(
  migrations: Runnable,
  ctx: RunMutationCtx,
  own: string,
  args: Omit<RunnerArgs, "fns">,
): Promise<MigrationStatus | DryRunReport> {
  const result = await runFromArgs(migrations, ctx, { ...args, fn: own });
  return Array.isArray(result) ? result[0] : result;
}
