/**
 * One document per migration. Writers: `start`, `pause`, `resume`, `cancel`, `cancelAll` (user
 * requests, run.ts), `commit` (inside the app's batch transaction), `recordFailure` and `watchdog`
 * (the driver), and inline.ts's `start`/`recordFailure` (runToCompletion). See docs/migrations.md.
 */
import { defineTable } from "convex/server";
import { v } from "convex/values";
import { vMigrationError, vMigrationSpec, vMigrationState } from "../../shared/migrations.js";
import { vRetryPolicy } from "../../shared/validators.js";

export const migrations = defineTable({
  /** The app's batch function name, e.g. "migrations:setDefaultRole". Unique. */
  name: v.string(),
  state: vMigrationState,
  fnHandle: v.string(),
  table: v.string(),
  /** Saved after every committed batch: where the next batch starts. null = the beginning. */
  cursor: v.union(v.string(), v.null()),
  processed: v.number(),
  batches: v.number(),
  skipped: v.number(),
  skippedIds: v.array(v.string()),
  /** The configured size, and the adaptive one the next batch uses (<= batchSize). */
  batchSize: v.number(),
  currentBatchSize: v.number(),
  /** Smallest size that recently hit a transaction limit; growth stays below it for a while. */
  sizeCeiling: v.optional(v.number()),
  /** Size of the last committed batch: a failed larger batch falls back to at least this. */
  lastGoodSize: v.optional(v.number()),
  /** Committed batches since the last limit split (the ceiling is forgotten after a few). */
  batchesSinceSplit: v.number(),
  splits: v.number(),
  retry: vRetryPolicy,
  /** Failed attempts of the batch at `cursor`. */
  attempts: v.number(),
  lastError: v.optional(vMigrationError),
  total: v.optional(v.number()),
  startedAt: v.optional(v.number()),
  endedAt: v.optional(v.number()),
  /** Start of the current run (start/resume) and `processed` then: the rate behind the ETA. */
  runStartedAt: v.optional(v.number()),
  processedAtRunStart: v.number(),
  /**
   * Bumped whenever a new driver chain starts (start, resume, reset) or must stop (pause,
   * cancel). A step or batch carrying an older generation is ignored / rolled back.
   */
  generation: v.number(),
  /** The scheduled driver step of the current generation, for the watchdog. */
  driverId: v.optional(v.id("_scheduled_functions")),
  /** Driven by a caller (runToCompletion) batch by batch, not by scheduled driver steps. */
  inline: v.optional(v.boolean()),
  /** Started with `oneBatchOnly`: the next committed batch pauses the migration. */
  pauseAfterBatch: v.optional(v.boolean()),
  /** Migrations to start, in order, when this one is done (runSerially / next). */
  next: v.array(vMigrationSpec),
  /** For a pending migration: the one it is queued behind. */
  waitingOn: v.optional(v.string()),
})
  .index("by_name", ["name"])
  .index("by_state", ["state"]);

export const migrationTables = { migrations };
