/**
 * The official package's free functions, on a `Migrations` instance made for the call:
 * `makeMigration` (a bound `define`) and `runToCompletion`.
 */
import type { GenericDataModel } from "convex/server";
import type { ComponentApi } from "../../component/_generated/component.js";
import type { MigrationStatus } from "../../shared/migrations.js";
import type { RunMutationCtx } from "../ctx.js";
import type { RunToCompletionOptions } from "./inline.js";
import { Migrations } from "./migrations.js";
import type { MigrationName } from "./names.js";
import type { MigrationsOptions } from "./types.js";

/**
 * The short form: `define` bound to a component and options, so a migration is declared with one
 * call (the style of the official migrations package's `makeMigration`).
 * ```ts
 * export const migration = makeMigration<DataModel>(components.jobs);
 * export const setDefaultRole = migration({ table: "users", migrateOne: ... });
 * ```
 * Run them with any `Migrations` instance (`new Migrations(components.jobs).runner()`), the free
 * `runToCompletion`, or call them directly.
 * @param component `components.jobs`
 * @param options as for `new Migrations`
 * @returns a bound `define`
 */
export function makeMigration<DataModel extends GenericDataModel>(
  component: ComponentApi,
  options?: MigrationsOptions<DataModel>,
): Migrations<DataModel>["define"] {
  return new Migrations<DataModel>(component, options).define;
}

/**
 * The official package's free function: runs `fn` to completion from an action or a test.
 * ```ts
 * await runToCompletion(ctx, components.jobs, internal.migrations.setDefaultRole);
 * ```
 * Same as `migrations.runToCompletion(ctx, fn, options)`: the migration is identified by `fn`,
 * wherever it is defined.
 * @param ctx an action context (or a test's `t.run`/`t.action`)
 * @param component `components.jobs`
 * @param fn the migration
 * @param options `reset`, `cursor`, `batchSize`
 * @returns its final status
 */
export async function runToCompletion(
  ctx: RunMutationCtx,
  component: ComponentApi,
  fn: MigrationName,
  options?: RunToCompletionOptions,
): Promise<MigrationStatus> {
  return await new Migrations<GenericDataModel>(component).runToCompletion(ctx, fn, options);
}
