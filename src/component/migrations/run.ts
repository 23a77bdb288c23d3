/**
 * Starting and steering migrations: the public mutations the client (or
 * `npx convex run --component jobs ...`) calls. Each touches only the named migrations' documents.
 */
import { v } from "convex/values";
import { mutation, type MutationCtx } from "../_generated/server.js";
import { vMigrationSpec, vMigrationStatus } from "../../shared/migrations.js";
import {
  byName,
  ensureDriver,
  freshProgress,
  startSeries,
  statusesByName,
  toStatus,
  validateBatchSize,
  validateSpec,
  type Migration,
} from "./model.js";

/**
 * Runs `specs` in order: the first that is not done starts (from its saved cursor), the rest
 * wait behind it as "pending". Done ones are skipped unless `reset`, which starts them over from
 * the beginning with zeroed counts. Calling it for a migration that is already running does not
 * start a second copy. Returns the statuses of all `specs`.
 */
export const start = mutation({
  args: {
    specs: v.array(vMigrationSpec),
    reset: v.optional(v.boolean()),
    /** For the migration that starts now: its starting cursor (null: the beginning), even if done. */
    cursor: v.optional(v.union(v.string(), v.null())),
    /** For the migration that starts now: documents per batch, instead of its own batchSize. */
    batchSize: v.optional(v.number()),
    /** For the migration that starts now: run one batch, then pause. */
    oneBatchOnly: v.optional(v.boolean()),
  },
  returns: v.array(vMigrationStatus),
  handler: async (ctx, { specs, reset, ...options }) => {
    if (specs.length === 0) throw new Error("migrations start: `specs` is empty; pass at least one migration.");
    const names = new Set<string>();
    for (const spec of specs) {
      validateSpec(spec);
      if (names.has(spec.name)) {
        throw new Error(`migrations start: "${spec.name}" is listed twice; list each migration once.`);
      }
      names.add(spec.name);
    }
    if (reset) {
      for (const spec of specs) {
        const m = await byName(ctx, spec.name);
        if (m) await resetCounts(ctx, m);
      }
    }
    if (options.batchSize !== undefined) validateBatchSize(options.batchSize, specs[0].name);
    await startSeries(ctx, specs, options);
    return await statusesByName(ctx, specs.map((s) => s.name));
  },
});

/** Forgets progress so the next run starts at the beginning; stops any running copy. */
export async function resetCounts(ctx: MutationCtx, m: Migration): Promise<void> {
  await ctx.db.patch(m._id, {
    state: "pending",
    ...freshProgress(m.batchSize),
    sizeCeiling: undefined,
    lastGoodSize: undefined,
    lastError: undefined,
    startedAt: undefined,
    endedAt: undefined,
    runStartedAt: undefined,
    generation: m.generation + 1,
    next: [],
    waitingOn: undefined,
  });
}

/**
 * Stops a migration for good: a batch in flight is rolled back, queued successors are canceled
 * too. Its cursor is kept: running it again continues where it stopped (use reset to start over).
 * Returns the status, or null if there is no such migration. No-op when already finished.
 */
export const cancel = onOneMigration(cancelOne);

/**
 * A public mutation on the migration named `name`: runs `act` on it, then returns its status,
 * or null (acting on nothing) if there is no such migration.
 */
function onOneMigration(act: (ctx: MutationCtx, m: Migration) => Promise<void>) {
  return mutation({
    args: { name: v.string() },
    returns: v.union(vMigrationStatus, v.null()),
    handler: async (ctx, { name }) => {
      const m = await byName(ctx, name);
      if (!m) return null;
      await act(ctx, m);
      return toStatus((await ctx.db.get(m._id))!, Date.now());
    },
  });
}

/** States `cancelAll` stops: everything not yet finished. */
const ACTIVE_STATES = ["running", "paused", "pending"] as const;

/**
 * Cancels every migration that is running, paused or pending (queued). Each keeps its cursor:
 * running it again continues where it stopped. Returns the statuses of the canceled ones.
 */
export const cancelAll = mutation({
  args: {},
  returns: v.array(vMigrationStatus),
  handler: async (ctx) => {
    const canceled: Migration[] = [];
    for (const state of ACTIVE_STATES) {
      canceled.push(...(await ctx.db.query("migrations").withIndex("by_state", (q) => q.eq("state", state)).collect()));
    }
    for (const m of canceled) {
      // A pending successor may already have been canceled with the migration it waited on.
      const current = (await ctx.db.get(m._id))!;
      await cancelOne(ctx, current);
    }
    const now = Date.now();
    return await Promise.all(canceled.map(async (m) => toStatus((await ctx.db.get(m._id))!, now)));
  },
});

/** Stops one migration and the successors queued behind it; a no-op once it has finished. */
async function cancelOne(ctx: MutationCtx, m: Migration): Promise<void> {
  if (!(ACTIVE_STATES as readonly string[]).includes(m.state)) return;
  await ctx.db.patch(m._id, {
    state: "canceled",
    generation: m.generation + 1,
    endedAt: Date.now(),
    next: [],
    waitingOn: undefined,
  });
  for (const spec of m.next) {
    const successor = await byName(ctx, spec.name);
    if (successor?.state === "pending" && successor.waitingOn === m.name) {
      await ctx.db.patch(successor._id, { state: "canceled", waitingOn: undefined, endedAt: Date.now() });
    }
  }
}

/**
 * Pauses a running migration after its current batch (a batch in flight is rolled back and
 * redone on resume). No-op unless running. Returns the status, or null if there is no such one.
 */
export const pause = onOneMigration(async (ctx, m) => {
  if (m.state === "running") {
    await ctx.db.patch(m._id, { state: "paused", generation: m.generation + 1 });
  }
});

/**
 * Continues a paused, failed, canceled or pending migration from its saved cursor, with the
 * function and options it was started with (its successors stay queued behind it). A running one
 * gets its driver revived if it died. No-op when done. Returns the status, or null.
 */
export const resume = onOneMigration(async (ctx, m) => {
  if (m.state === "running") await ensureDriver(ctx, m);
  else if (m.state !== "done") {
    const spec = { name: m.name, fnHandle: m.fnHandle, table: m.table, batchSize: m.batchSize, retry: m.retry, total: m.total };
    await startSeries(ctx, [spec, ...m.next]);
  }
});
