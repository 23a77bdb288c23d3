/**
 * The app side of a migration: the body of the internal mutation `migrations.define` returns.
 * It runs one batch (a page of the table) and, in the same transaction, asks the component to
 * save the new cursor, so the batch's writes and its progress commit together.
 */
import type { GenericDataModel, GenericMutationCtx, TableNamesInDataModel } from "convex/server";
import { ConvexError, v } from "convex/values";
import type { ComponentApi } from "../../component/_generated/component.js";
import { toJobError } from "../../shared/errors.js";
import { BATCH_REPLY_MARKER, isLimitError } from "../../shared/migrations.js";
import type { RetryPolicy } from "../../shared/validators.js";
import type { BatchArgs, DryRunReport, MigrationDefinition } from "./types.js";
import { nameMatches } from "./registry.js";

/** The batch mutation's argument validators. */
export const batchArgs = {
  describe: v.optional(v.boolean()),
  dryRun: v.optional(v.boolean()),
  name: v.optional(v.string()),
  generation: v.optional(v.number()),
  cursor: v.optional(v.union(v.string(), v.null())),
  batchSize: v.optional(v.number()),
};

/** What a batch mutation says about itself when called with `{ describe: true }`. */
export interface Description {
  marker: typeof BATCH_REPLY_MARKER;
  table: string;
  batchSize: number;
  retry: Required<RetryPolicy>;
  onError: "fail" | "skip";
  total?: number;
}

/** A definition after the class filled in defaults and validated it. */
export interface ResolvedDefinition<DM extends GenericDataModel, T extends TableNamesInDataModel<DM>>
  extends MigrationDefinition<DM, T> {
  batchSize: number;
  onError: "fail" | "skip";
  resolvedRetry: Required<RetryPolicy>;
  dryRunSamples: number;
}

/** Builds the handler of a migration's batch mutation. */
export function batchHandler<DM extends GenericDataModel, T extends TableNamesInDataModel<DM>>(
  component: ComponentApi,
  def: ResolvedDefinition<DM, T>,
) {
  return async (ctx: GenericMutationCtx<DM>, args: BatchArgs): Promise<unknown> => {
    if (def.name !== undefined && args.name !== undefined && !nameMatches(def.name, args.name)) {
      // The registry matched a define by name; refuse to run if the export is a different one.
      throw new Error(
        `This migration is defined with name "${def.name}" but was called as "${args.name}": set \`name\` in its define to its export name.`,
      );
    }
    if (args.describe) return await describe(ctx, def);
    if (!args.dryRun && (args.name === undefined || args.generation === undefined)) {
      throw new Error(
        `This is a convex-jobs migration over "${def.table}"; its batches are driven by the component. ` +
          `Start it by calling it without \`name\` and \`generation\` (\`npx convex run <file>:<name>\`), ` +
          `with migrations.runOne(ctx, internal.<file>.<name>), or with the runner.`,
      );
    }
    const size = args.batchSize ?? def.batchSize;
    const cursor = args.cursor ?? null;
    const base = ctx.db.query(def.table);
    const range = def.customRange ? def.customRange(base) : base;
    const page = await range.paginate({ cursor, numItems: size });
    if (args.dryRun) return dryRun(ctx, def, { name: args.name ?? def.table, cursor, size, page });

    const skippedIds = await migratePage(ctx, def, page.page);
    await ctx.runMutation(component.migrations.batch.commit, {
      name: args.name!,
      generation: args.generation!,
      fromCursor: cursor,
      toCursor: page.continueCursor,
      isDone: page.isDone,
      processed: page.page.length,
      batchSize: size,
      skippedIds,
    });
    return { processed: page.page.length, isDone: page.isDone };
  };
}

async function describe<DM extends GenericDataModel, T extends TableNamesInDataModel<DM>>(
  ctx: GenericMutationCtx<DM>,
  def: ResolvedDefinition<DM, T>,
): Promise<Description> {
  let total: number | undefined;
  if (def.estimateTotal) {
    total = await def.estimateTotal(ctx);
    if (!Number.isFinite(total) || total < 0) {
      throw new Error(`migration over "${def.table}": \`estimateTotal\` must return a number >= 0, got ${total}.`);
    }
  }
  return {
    marker: BATCH_REPLY_MARKER,
    table: def.table,
    batchSize: def.batchSize,
    retry: def.resolvedRetry,
    onError: def.onError,
    ...(total === undefined ? {} : { total }),
  };
}

/**
 * Migrates a page's documents, one after another, or all at once with `parallelize`. Returns the
 * ids of skipped documents, in page order.
 */
async function migratePage<DM extends GenericDataModel, T extends TableNamesInDataModel<DM>>(
  ctx: GenericMutationCtx<DM>,
  def: ResolvedDefinition<DM, T>,
  docs: any[],
): Promise<string[]> {
  if (!def.parallelize) {
    const skipped: string[] = [];
    for (const doc of docs) if ((await migrateDoc(ctx, def, doc)) !== null) skipped.push(doc._id);
    return skipped;
  }
  // Wait for every call before throwing, so no migrateOne is still running when the batch ends;
  // the error thrown is the first in page order, as in a serial batch.
  const results = await Promise.allSettled(docs.map((doc) => migrateDoc(ctx, def, doc)));
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return docs.filter((_doc, i) => (results[i] as PromiseFulfilledResult<string | null>).value !== null).map((doc) => doc._id);
}

/**
 * Migrates one document. Returns null on success, or the error message if it was skipped.
 * Throws (rolling back the batch) for a limit error, or a migrateOne error under onError "fail",
 * naming the document so the status can show which one failed.
 */
async function migrateDoc<DM extends GenericDataModel, T extends TableNamesInDataModel<DM>>(
  ctx: GenericMutationCtx<DM>,
  def: ResolvedDefinition<DM, T>,
  doc: any,
): Promise<string | null> {
  const failed = await applyOne(ctx, def, doc);
  return failed ? failedDoc(def, doc, failed.error) : null;
}

/**
 * Runs migrateOne on the document and applies the patch it returns. Returns what migrateOne or
 * the patch threw (the callers differ in what that means), or null. A return that is not a patch
 * throws at once: it is a bug in the migration, not in the data.
 */
async function applyOne<DM extends GenericDataModel, T extends TableNamesInDataModel<DM>>(
  ctx: GenericMutationCtx<DM>,
  def: ResolvedDefinition<DM, T>,
  doc: any,
): Promise<{ error: unknown } | null> {
  let patch: unknown;
  try {
    patch = await def.migrateOne(ctx, doc);
  } catch (error) {
    return { error };
  }
  checkPatch(def, doc, patch);
  try {
    if (patch && Object.keys(patch).length > 0) await ctx.db.patch(doc._id, patch as any);
  } catch (error) {
    return { error };
  }
  return null;
}

/** migrateOne (or its patch) threw: skip the document, or throw naming it (see migrateDoc). */
function failedDoc<DM extends GenericDataModel, T extends TableNamesInDataModel<DM>>(
  def: ResolvedDefinition<DM, T>,
  doc: any,
  e: unknown,
): string {
  const { message, nonRetryable } = toJobError(e);
  if (isLimitError(message)) {
    throw new ConvexError({ marker: BATCH_REPLY_MARKER, kind: "limit", message, docId: doc._id });
  }
  if (def.onError === "skip") return message;
  throw new ConvexError({
    marker: BATCH_REPLY_MARKER,
    kind: "migrateOne",
    message: `migrateOne threw on ${def.table} document ${doc._id}: ${message}`,
    docId: doc._id,
    // NonRetryableError: the driver fails the migration at once instead of retrying.
    ...(nonRetryable ? { nonRetryable: true } : {}),
  });
}

/**
 * Throws (not retryable) unless migrateOne returned a plain object (a patch) or nothing.
 * `null` counts as nothing: it is how many functions say "no result".
 */
function checkPatch<DM extends GenericDataModel, T extends TableNamesInDataModel<DM>>(
  def: ResolvedDefinition<DM, T>,
  doc: any,
  patch: unknown,
): asserts patch is Record<string, unknown> | null | undefined {
  if (patch === undefined || patch === null) return;
  const proto = typeof patch === "object" ? Object.getPrototypeOf(patch) : undefined;
  if (proto === Object.prototype || proto === null) return;
  throw new ConvexError({
    marker: BATCH_REPLY_MARKER,
    kind: "migrateOne",
    message:
      `migrateOne returned ${returnedType(patch)} for ${def.table} document ${doc._id}: return a plain object ` +
      `(the fields to patch, e.g. { role: "member" }) or nothing (no change).`,
    docId: doc._id,
    nonRetryable: true,
  });
}

function returnedType(x: unknown): string {
  if (Array.isArray(x)) return `an array (${x.length} items)`;
  if (typeof x === "object") return `an object of class ${(x as object).constructor?.name ?? "unknown"}`;
  if (typeof x === "string") return `a string (${JSON.stringify(x.length > 30 ? x.slice(0, 30) + "…" : x)})`;
  return `a ${typeof x} (${String(x)})`;
}

/** Runs migrateOne over the page, then throws the report so every write rolls back. */
async function dryRun<DM extends GenericDataModel, T extends TableNamesInDataModel<DM>>(
  ctx: GenericMutationCtx<DM>,
  def: ResolvedDefinition<DM, T>,
  batch: { name: string; cursor: string | null; size: number; page: { page: any[]; isDone: boolean } },
): Promise<never> {
  const report: DryRunReport = {
    name: batch.name,
    table: def.table,
    cursor: batch.cursor,
    batchSize: batch.size,
    documents: batch.page.page.length,
    changed: 0,
    samples: [],
    errors: [],
    isDone: batch.page.isDone,
  };
  for (const before of batch.page.page) {
    const failed = await applyOne(ctx, def, before);
    if (failed) {
      const { message } = toJobError(failed.error);
      if (isLimitError(message)) throw failed.error;
      report.errors.push({ docId: before._id, message });
      continue;
    }
    const after = await ctx.db.get(before._id);
    if (canonical(after) === canonical(before)) continue;
    report.changed++;
    if (report.samples.length < def.dryRunSamples) report.samples.push({ _id: before._id, before, after });
  }
  throw new ConvexError({ marker: BATCH_REPLY_MARKER, kind: "dryRun", report } as any);
}

/** JSON with object keys sorted, so a patch that only reorders fields does not count as a change. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, x) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}
