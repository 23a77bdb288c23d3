/**
 * Enqueue: inserts jobs and a tally and, unless a dispatch run that will see them is already on
 * its way, schedules one. It runs inside the caller's mutation, so it reads nothing the
 * dispatcher or workers write (the pool document holds config only; the dispatcher's published
 * state is read through a stale snapshot): an enqueue never retries because the pool is busy.
 */
import { v } from "convex/values";
import { mutation, type MutationCtx } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import type { Id } from "../_generated/dataModel.js";
import { vJobKind, vLogLevel, vResultKind, vRetryPolicy } from "../../shared/validators.js";
import { vRetryRule } from "../../shared/retryRules.js";
import { createLogger } from "../../shared/logging.js";
import { MAX_BATCH, MAX_PARALLELISM } from "../../shared/limits.js";
import type { Pool } from "./jobs.js";
import { requestDispatch } from "./wake.js";
import { vCallbackShape } from "../../shared/compat.js";
import { poolByName } from "./lookup.js";
import { checkKey, checkRateLimit, MAX_BOOST_MS, vRateLimit } from "../../shared/flow.js";
import type { KeyNews } from "./tables.js";
import { keyedEnqueue, vDebounceSpec, vDedupeSpec } from "./dedupe.js";

export const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;

export const vPoolConfig = v.object({
  name: v.string(),
  maxParallelism: v.number(),
  retentionMs: v.optional(v.number()),
  logLevel: v.optional(vLogLevel),
  retry: v.optional(vRetryPolicy),
  retryKeepsSlot: v.optional(v.boolean()),
  keyConcurrency: v.optional(v.number()),
  rateLimit: v.optional(vRateLimit),
  keyRateLimit: v.optional(vRateLimit),
});

export const vJobSpec = v.object({
  kind: vJobKind,
  fnHandle: v.string(),
  fnName: v.string(),
  /** The job's name for logs and status, when the caller gave one (else fnName is used). */
  name: v.optional(v.string()),
  args: v.any(),
  runAt: v.optional(v.number()),
  retry: v.optional(v.union(vRetryPolicy, v.null())),
  retryIf: v.optional(vRetryRule),
  onComplete: v.optional(v.object({ fnHandle: v.string(), context: v.any(), excludeKinds: v.optional(v.array(vResultKind)), argsShape: v.optional(vCallbackShape) })),
  /** Priority: the job sorts as if it became ready this many ms earlier (negative: later). */
  boostMs: v.optional(v.number()),
  /** Concurrency key (see the pool's keyConcurrency). */
  key: v.optional(v.string()),
  /** A cap for the key that overrides the pool's keyConcurrency. */
  keyLimit: v.optional(v.number()),
  /** At most one live job per key (./dedupe.ts). */
  dedupe: v.optional(vDedupeSpec),
  /** Trailing-edge debounce per key (./dedupe.ts). */
  debounce: v.optional(vDebounceSpec),
});
type JobSpec = typeof vJobSpec.type;

/**
 * Inserts jobs into a pool (created on first use). Returns their ids, in order.
 *
 * `dispatchBy`: an earlier enqueue in the caller's transaction already made sure a dispatch run
 * sees jobs of this pool that are ready at or after this time (the client remembers it per
 * transaction). Without it, a mutation that enqueues 300 times would schedule 300 runs: the stale
 * view cannot see a run scheduled earlier in the same transaction.
 */
export const enqueue = mutation({
  args: { pool: vPoolConfig, jobs: v.array(vJobSpec), dispatchBy: v.optional(v.number()) },
  // `{ ids, deduped }` only when a job has dedupe/debounce, so older clients see no change.
  returns: v.union(v.array(v.id("jobs")), v.object({ ids: v.array(v.id("jobs")), deduped: v.array(v.boolean()) })),
  handler: async (ctx, { pool: config, jobs, dispatchBy }) => {
    validatePoolConfig(config);
    if (jobs.length > MAX_BATCH) {
      throw new Error(
        `enqueue: got ${jobs.length} jobs in one call; the limit is ${MAX_BATCH}. Split the batch into several calls.`,
      );
    }
    const pool = await upsertPool(ctx, config);
    const now = Date.now();
    const ids: Id<"jobs">[] = [];
    const deduped: boolean[] = [];
    const news = new KeyNewsBuilder();
    let earliest = Infinity;
    for (const [i, spec] of jobs.entries()) {
      checkFlow(spec, config.name);
      const keyed = await keyedEnqueue(ctx, pool, spec, now, `jobs[${i}]`);
      deduped.push(keyed.absorbedBy !== undefined);
      if (keyed.absorbedBy !== undefined) {
        ids.push(keyed.absorbedBy);
        earliest = Math.min(earliest, keyed.wakeAt ?? Infinity);
        continue;
      }
      const readyAt = keyed.readyAt ?? Math.max(now, spec.runAt ?? now);
      const { key, keyLimit } = keyed.concurrency ?? spec;
      earliest = Math.min(earliest, readyAt);
      // A job ready now takes its place in line at once; a delayed one when it is due.
      const rank = readyAt <= now ? readyAt - (spec.boostMs ?? 0) : undefined;
      ids.push(
        await ctx.db.insert("jobs", {
          pool: pool._id,
          kind: spec.kind,
          fnHandle: spec.fnHandle,
          fnName: spec.fnName,
          name: spec.name,
          args: spec.args,
          state: "pending",
          readyAt,
          rank,
          boostMs: spec.boostMs || undefined,
          key,
          keyLimit,
          promote: key !== undefined || spec.boostMs ? true : undefined,
          attempt: 0,
          retry: spec.retry ?? undefined,
          retryIf: spec.retryIf,
          onComplete: spec.onComplete,
          ...keyed.fields,
        }),
      );
      if (key !== undefined) news.add({ key, pending: 1, rank, limit: keyLimit });
    }
    const inserted = deduped.filter((d) => !d).length;
    if (inserted > 0) await ctx.db.insert("tallies", { pool: pool._id, pending: inserted, canceled: 0, keys: news.list() });
    if (earliest < Infinity && (dispatchBy === undefined || earliest < dispatchBy)) await requestDispatch(ctx, pool._id, earliest);
    return jobs.some((j) => j.dedupe || j.debounce) ? { ids, deduped } : ids;
  },
});

/** Per-key news of one enqueue, merged per key, for its tally. */
export class KeyNewsBuilder {
  private byKey = new Map<string, KeyNews>();
  add(n: KeyNews) {
    const had = this.byKey.get(n.key);
    if (!had) return void this.byKey.set(n.key, { ...n });
    had.pending += n.pending;
    if (n.rank !== undefined) had.rank = had.rank === undefined ? n.rank : Math.min(had.rank, n.rank);
    if (n.limit !== undefined) had.limit = n.limit;
    if (n.paused !== undefined) had.paused = n.paused;
  }
  /** The news, or undefined when there is none (keeps unkeyed tallies as they were). */
  list(): KeyNews[] | undefined {
    return this.byKey.size ? [...this.byKey.values()] : undefined;
  }
}

/** The component's own check of a job's flow-control fields (the client checks them first). */
function checkFlow(spec: JobSpec, pool: string) {
  const where = `Workpool "${pool}" enqueue`;
  if (spec.key !== undefined) checkKey(spec.key, where);
  const b = spec.boostMs;
  if (b !== undefined && (!Number.isFinite(b) || Math.abs(b) > MAX_BOOST_MS)) {
    throw new Error(`${where}: \`boostMs\` must be from ${-MAX_BOOST_MS} to ${MAX_BOOST_MS}, got ${b}.`);
  }
  const l = spec.keyLimit;
  if (l !== undefined && (!Number.isInteger(l) || l < 1 || spec.key === undefined)) {
    throw new Error(`${where}: \`keyLimit\` must be an integer >= 1 and needs a \`key\`, got ${l}.`);
  }
}

/** @param minParallelism 0 where a pause is allowed (`configure`), else 1 */
export function validatePoolConfig(
  config: { name: string; maxParallelism: number; retentionMs?: number; keyConcurrency?: number; rateLimit?: unknown; keyRateLimit?: unknown },
  minParallelism = 1,
) {
  const where = `Workpool "${config.name}"`;
  const k = config.keyConcurrency;
  if (k !== undefined && (!Number.isInteger(k) || k < 1 || k > MAX_PARALLELISM)) {
    throw new Error(`${where}: \`keyConcurrency\` must be an integer from 1 to ${MAX_PARALLELISM}, got ${k}.`);
  }
  checkRateLimit(config.rateLimit, "rateLimit", where);
  checkRateLimit(config.keyRateLimit, "keyRateLimit", where);
  if (config.name.length === 0) throw new Error("Workpool: `name` must be a non-empty string.");
  const p = config.maxParallelism;
  if (!Number.isInteger(p) || p < minParallelism || p > MAX_PARALLELISM) {
    throw new Error(
      `Workpool "${config.name}": \`maxParallelism\` must be an integer from ${minParallelism} to ${MAX_PARALLELISM}, got ${p}.`,
    );
  }
  const r = config.retentionMs;
  if (r !== undefined && (!Number.isFinite(r) || r < 0)) {
    throw new Error(`Workpool "${config.name}": \`retentionMs\` must be a finite number >= 0, got ${r}.`);
  }
}

/** The pool config the caller passed, defaults filled in (overrides not applied). */
export function configWithDefaults(config: typeof vPoolConfig.type) {
  return {
    maxParallelism: config.maxParallelism,
    retentionMs: config.retentionMs ?? DEFAULT_RETENTION_MS,
    logLevel: config.logLevel ?? "WARN",
    retry: config.retry,
    retryKeepsSlot: config.retryKeepsSlot,
    keyConcurrency: config.keyConcurrency,
    rateLimit: config.rateLimit,
    keyRateLimit: config.keyRateLimit,
  };
}

/**
 * Finds the pool by name or creates it with its dispatcher state. A config that differs from
 * the stored one wins (so a deploy that changes maxParallelism takes effect now) and is logged,
 * because two call sites configuring one pool differently is usually a mistake. Values set at
 * runtime by `configure` (the pool's `overrides`) win over the config passed.
 */
export async function upsertPool(ctx: MutationCtx, config: typeof vPoolConfig.type): Promise<Pool> {
  const existing = await poolByName(ctx, config.name);
  const desired = { ...configWithDefaults(config), ...existing?.overrides };
  if (!existing) {
    const id = await ctx.db.insert("pools", { name: config.name, ...desired });
    await ctx.db.insert("dispatchState", {
      pool: id,
      running: [],
      counts: { pending: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 },
      idleFollowUps: 0,
      wakeAt: null,
    });
    return (await ctx.db.get(id))!;
  }
  // `retry` is not a conflict: each job carries its own resolved policy (the stored one is never
  // read), so two call sites with different policies (as the official packages allow) override nothing.
  const changed = (Object.keys(desired) as (keyof typeof desired)[]).filter(
    (k) => k !== "retry" && JSON.stringify(existing[k]) !== JSON.stringify(desired[k]),
  );
  if (changed.length === 0) return existing;
  createLogger(desired.logLevel).warn(
    `Workpool "${config.name}" is now configured with ${changed
      .map((k) => `${k}=${JSON.stringify(desired[k])} (was ${JSON.stringify(existing[k])})`)
      .join(", ")}. If two call sites configure this pool differently, they will keep overriding each other.`,
  );
  await ctx.db.patch(existing._id, desired);
  const flowChanged = changed.some((k) => k === "keyConcurrency" || k === "rateLimit" || k === "keyRateLimit");
  if (desired.maxParallelism > existing.maxParallelism || flowChanged) {
    // A raised cap frees slots now, but a pool whose slots were all busy counts as covered (it
    // waits on completions), so this enqueue alone would not wake it.
    await ctx.scheduler.runAfter(0, internal.pool.dispatch.dispatch, { pool: existing._id });
  }
  return { ...existing, ...desired };
}
