/**
 * The migration state machine's moves, shared by the public functions and the driver: launching a
 * run (and queueing its successors), scheduling the next step, failing, adapting the batch size.
 */
import type { Doc } from "../_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import {
  MAX_BATCH_SIZE,
  type MigrationError,
  type MigrationSpec,
  type MigrationStatus,
} from "../../shared/migrations.js";
import { normalizeRetryPolicy } from "../../shared/backoff.js";

export type Migration = Doc<"migrations">;

/** The watchdog looks at a running migration's driver this often. */
export const WATCHDOG_MS = 5 * 60_000;
/** After this many committed batches without a limit split, growth may reach batchSize again. */
export const CEILING_MEMORY_BATCHES = 20;

/** A migration's progress before its first batch (new, or reset). */
export function freshProgress(batchSize: number) {
  return {
    cursor: null,
    processed: 0,
    batches: 0,
    skipped: 0,
    skippedIds: [] as string[],
    currentBatchSize: batchSize,
    batchesSinceSplit: 0,
    splits: 0,
    attempts: 0,
    processedAtRunStart: 0,
  };
}

export async function byName(ctx: QueryCtx, name: string): Promise<Migration | null> {
  return await ctx.db
    .query("migrations")
    .withIndex("by_name", (q) => q.eq("name", name))
    .unique();
}

/** Throws an Error naming the field and the fix if the client sent a bad spec. */
export function validateSpec(spec: MigrationSpec): void {
  if (spec.name.length === 0) throw new Error("migrations: a migration's `name` must be non-empty.");
  validateBatchSize(spec.batchSize, spec.name);
  normalizeRetryPolicy(spec.retry, `migration "${spec.name}" retry`);
}

/**
 * How the caller wants the migration that starts now to run (the runner's `cursor`, `batchSize`
 * and `oneBatchOnly` arguments). They apply to that one migration, not to its successors.
 */
export interface RunOptions {
  /** Start from this cursor (null: the beginning) instead of the saved one, even if done. */
  cursor?: string | null;
  /** Documents per batch for this run, instead of the migration's own `batchSize`. */
  batchSize?: number;
  /** Run one batch, then pause (`resume` continues). */
  oneBatchOnly?: boolean;
}

/** Throws an Error naming `batchSize` and its range unless it is a valid batch size. */
export function validateBatchSize(size: number, name: string): void {
  if (!Number.isInteger(size) || size < 1 || size > MAX_BATCH_SIZE) {
    throw new Error(`migration "${name}": \`batchSize\` must be an integer from 1 to ${MAX_BATCH_SIZE}, got ${size}.`);
  }
}

/**
 * Starts the first migration of `specs` that is not done, and queues the rest behind it.
 * Done ones are skipped (re-running is a no-op), except the first when `options.cursor` is given;
 * one that is already running keeps its own driver and adopts the rest as successors if it has
 * none. Returns the started name.
 */
export async function startSeries(ctx: MutationCtx, specs: MigrationSpec[], options: RunOptions = {}): Promise<string | null> {
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i];
    const rest = specs.slice(i + 1);
    const existing = await byName(ctx, spec.name);
    const fromCursor = i === 0 && options.cursor !== undefined;
    if (existing?.state === "done" && !fromCursor) continue;
    if (existing?.state === "running") {
      if (fromCursor) {
        throw new Error(`migration "${spec.name}" is running; pause or cancel it before starting it from a \`cursor\`.`);
      }
      await steerRunning(ctx, existing, options);
      await ensureDriver(ctx, existing);
      if (existing.next.length === 0 && rest.length > 0) await adoptSuccessors(ctx, existing, rest);
      return spec.name;
    }
    await launch(ctx, spec, existing, rest, options);
    return spec.name;
  }
  return null;
}

/** A running migration takes a new `batchSize` from its next batch on, or pauses after its next batch. */
async function steerRunning(ctx: MutationCtx, m: Migration, options: RunOptions): Promise<void> {
  const patch = {
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize, currentBatchSize: options.batchSize, sizeCeiling: undefined }),
    ...(options.oneBatchOnly ? { pauseAfterBatch: true } : {}),
  };
  if (Object.keys(patch).length > 0) await ctx.db.patch(m._id, patch);
}

/** Makes `spec` running from its saved cursor (a fresh one starts at the beginning). */
export async function launch(
  ctx: MutationCtx,
  spec: MigrationSpec,
  existing: Migration | null,
  rest: MigrationSpec[],
  options: RunOptions & { inline?: boolean },
): Promise<Migration> {
  const now = Date.now();
  const batchSize = options.batchSize ?? spec.batchSize;
  const config = {
    fnHandle: spec.fnHandle,
    table: spec.table,
    batchSize,
    retry: spec.retry,
    total: spec.total ?? existing?.total,
    pauseAfterBatch: options.oneBatchOnly ? true : undefined,
    // Driven by a caller (runToCompletion) instead of scheduled steps.
    inline: options.inline ? true : undefined,
  };
  let m: Migration;
  if (!existing) {
    const id = await ctx.db.insert("migrations", {
      name: spec.name,
      state: "running",
      ...config,
      ...freshProgress(batchSize),
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
      startedAt: now,
      runStartedAt: now,
      generation: 1,
      next: rest,
    });
    m = (await ctx.db.get(id))!;
  } else {
    const patch = {
      ...config,
      state: "running" as const,
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
      // An explicit batchSize is used as given; otherwise keep a size a limit split lowered.
      ...(options.batchSize === undefined
        ? { currentBatchSize: Math.min(existing.currentBatchSize, batchSize) }
        : { currentBatchSize: batchSize, sizeCeiling: undefined }),
      attempts: 0,
      lastError: undefined,
      startedAt: existing.startedAt ?? now,
      endedAt: undefined,
      runStartedAt: now,
      processedAtRunStart: existing.processed,
      generation: existing.generation + 1,
      next: rest,
      waitingOn: undefined,
    };
    await ctx.db.patch(existing._id, patch);
    m = { ...existing, ...patch };
  }
  await markPending(ctx, rest, spec.name);
  if (options.inline) return m;
  await scheduleStep(ctx, m, 0);
  await ctx.scheduler.runAfter(WATCHDOG_MS, internal.migrations.driver.watchdog, {
    name: m.name,
    generation: m.generation,
  });
  return m;
}

/** A running migration picks up successors (runSerially called while it was already running). */
async function adoptSuccessors(ctx: MutationCtx, m: Migration, rest: MigrationSpec[]): Promise<void> {
  await ctx.db.patch(m._id, { next: rest });
  await markPending(ctx, rest, m.name);
}

/** Shows queued successors as "pending" (done, running and paused ones are left alone). */
async function markPending(ctx: MutationCtx, specs: MigrationSpec[], behind: string): Promise<void> {
  for (const spec of specs) {
    const m = await byName(ctx, spec.name);
    if (!m) {
      await ctx.db.insert("migrations", {
        name: spec.name,
        state: "pending",
        fnHandle: spec.fnHandle,
        table: spec.table,
        batchSize: spec.batchSize,
        retry: spec.retry,
        total: spec.total,
        ...freshProgress(spec.batchSize),
        generation: 0,
        next: [],
        waitingOn: behind,
      });
    } else if (m.state === "failed" || m.state === "canceled" || m.state === "pending") {
      await ctx.db.patch(m._id, { state: "pending", waitingOn: behind, endedAt: undefined });
    }
  }
}

/** Schedules the driver step for the batch at `m.cursor` and records it for the watchdog. */
export async function scheduleStep(ctx: MutationCtx, m: Migration, delayMs: number): Promise<void> {
  const driverId = await ctx.scheduler.runAfter(delayMs, internal.migrations.driver.step, {
    name: m.name,
    generation: m.generation,
    fnHandle: m.fnHandle,
    cursor: m.cursor,
    batchSize: m.currentBatchSize,
  });
  await ctx.db.patch(m._id, { driverId });
}

/**
 * Revives a running migration whose driver died (a scheduled action is at-most-once: a crash or
 * a deploy mid-step can lose it). A live chain always has a pending or in-progress step recorded.
 */
export async function ensureDriver(ctx: MutationCtx, m: Migration): Promise<boolean> {
  const step = m.driverId ? await ctx.db.system.get(m.driverId) : null;
  const kind = step?.state.kind;
  if (kind === "pending" || kind === "inProgress") return false;
  // A migration run inline (runToCompletion) has no step: starting it another way takes it over.
  const revived = { ...m, generation: m.generation + 1, inline: undefined };
  await ctx.db.patch(m._id, { generation: revived.generation, inline: undefined });
  await scheduleStep(ctx, revived, 0);
  await ctx.scheduler.runAfter(WATCHDOG_MS, internal.migrations.driver.watchdog, {
    name: m.name,
    generation: revived.generation,
  });
  return true;
}

/**
 * A batch of `batchSize` hit a transaction limit: the patch that halves the next batch (not
 * below a size that just committed: we were probing above it), or null if it was one document.
 */
export function splitPatch(m: Migration, batchSize: number, error: MigrationError) {
  if (batchSize <= 1) return null;
  const good = m.lastGoodSize !== undefined && m.lastGoodSize < batchSize ? m.lastGoodSize : 0;
  return {
    currentBatchSize: Math.max(1, Math.floor(batchSize / 2), good),
    sizeCeiling: batchSize,
    batchesSinceSplit: 0,
    splits: m.splits + 1,
    lastError: error,
  };
}

/** A single document's migration exceeded a limit: splitting cannot help. */
export function limitOfOne(error: MigrationError): MigrationError {
  return { ...error, message: `${error.message} (a single document's migration exceeds a Convex transaction limit)` };
}

/** Ends a migration as failed; queued successors stay pending behind it (resume continues). */
export async function fail(ctx: MutationCtx, m: Migration, error: MigrationError): Promise<void> {
  await ctx.db.patch(m._id, { state: "failed", lastError: error, endedAt: Date.now() });
}

/**
 * The next batch size after a committed batch of `used` documents: double toward the configured
 * size, but after a limit split only halfway to the size that failed (a bisection), until that
 * ceiling is forgotten after CEILING_MEMORY_BATCHES batches.
 */
export function grownBatchSize(m: Migration, used: number): { size: number; ceiling: number | undefined } {
  const ceiling = m.batchesSinceSplit + 1 >= CEILING_MEMORY_BATCHES ? undefined : m.sizeCeiling;
  const target =
    ceiling === undefined ? used * 2 : Math.min(ceiling - 1, Math.floor((used + ceiling) / 2));
  return { size: Math.max(1, Math.min(m.batchSize, Math.max(used, target))), ceiling };
}

/** Why a done migration processed nothing: said plainly, since "done, 0" looks like success. */
function emptyNote(table: string): string {
  return (
    `No documents: table "${table}" (or its custom range) was empty, so nothing was migrated. ` +
    `If you expected documents, check the table name (it may not exist; pass \`schema\` to new Migrations to have define check it).`
  );
}

/** Statuses of the named migrations, in that order, unknown names left out, at most `limit`. */
export async function statusesByName(ctx: QueryCtx, names: string[], limit = Infinity): Promise<MigrationStatus[]> {
  const now = Date.now();
  const out: MigrationStatus[] = [];
  for (const name of names) {
    if (out.length >= limit) break;
    const m = await byName(ctx, name);
    if (m) out.push(toStatus(m, now));
  }
  return out;
}

/** The status view of a migration document. */
export function toStatus(m: Migration, now: number): MigrationStatus {
  const done = m.state === "done";
  const total = done ? m.processed : m.total;
  const progress = done ? 1 : total ? Math.min(0.999, m.processed / total) : undefined;
  let etaMs: number | undefined;
  if (m.state === "running" && total !== undefined && m.runStartedAt !== undefined) {
    const rate = (m.processed - m.processedAtRunStart) / Math.max(1, now - m.runStartedAt);
    if (rate > 0) etaMs = Math.max(0, Math.round((total - m.processed) / rate));
  }
  return {
    name: m.name,
    table: m.table,
    state: m.state,
    processed: m.processed,
    batches: m.batches,
    cursor: m.cursor,
    batchSize: m.batchSize,
    currentBatchSize: m.currentBatchSize,
    splits: m.splits,
    attempts: m.attempts,
    skipped: m.skipped,
    skippedIds: m.skippedIds,
    lastError: m.lastError,
    startedAt: m.startedAt,
    endedAt: m.endedAt,
    total,
    progress,
    etaMs,
    next: m.next.map((s) => s.name),
    waitingOn: m.waitingOn,
    ...(done && m.processed === 0 ? { note: emptyNote(m.table) } : {}),
  };
}
