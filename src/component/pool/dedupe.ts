/**
 * Deduplication and debounce on enqueue. A job enqueued with `dedupe` or `debounce` carries a key
 * (`jobs.dedupeKey`, namespaced "dedupe:…" or "debounce:…" so the two never mix) while it is
 * live; the write that ends it drops the key (a final state has no `dedupeKey`: `transition` in
 * ./jobs.ts), so the index `by_pool_dedupe` holds live jobs only and a lookup reads a few
 * documents. Before inserting, enqueue looks up its own key's live jobs and may return one of
 * them instead (reject), or patch its key's pending job (replace, debounce). That lookup is the
 * one thing an enqueue reads for real besides its pool document; see ../README.md for what it
 * can conflict with.
 */
import { v, type Infer } from "convex/values";
import type { MutationCtx } from "../_generated/server.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import type { Job, JobIn, Pool } from "./jobs.js";
import { MAX_KEY_LENGTH } from "../../shared/flow.js";

/** `dedupe` on a job spec: at most one live job per key (see the modes in README.md). */
export const vDedupeSpec = v.object({
  key: v.string(),
  mode: v.optional(v.union(v.literal("reject"), v.literal("replacePending"), v.literal("queueOneAfterActive"))),
  ttlMs: v.optional(v.number()),
});

/** `debounce` on a job spec: trailing edge, runs delayMs after the latest enqueue, by maxWaitMs. */
export const vDebounceSpec = v.object({ key: v.string(), delayMs: v.number(), maxWaitMs: v.number() });

/** Live jobs of one key read per lookup, newest first. Per key at most a handful are live. */
const LOOKUP_LIMIT = 10;

/** What a keyed enqueue needs from its job spec (the fields a replacement takes over). */
type KeyedSpec = Pick<Doc<"jobs">, "kind" | "fnHandle" | "fnName" | "name" | "args" | "retryIf" | "onComplete" | "key"> & {
  retry?: Doc<"jobs">["retry"] | null;
  runAt?: number;
  dedupe?: Infer<typeof vDedupeSpec>;
  debounce?: Infer<typeof vDebounceSpec>;
};

/**
 * The outcome of the lookup: the enqueue was absorbed by an existing job (returned as is, or
 * patched: `wakeAt` when it now becomes ready earlier than before), or a job is to be inserted
 * with these extra fields (and this readyAt, for debounce).
 */
export type KeyedEnqueue =
  | { absorbedBy: Id<"jobs">; wakeAt?: number }
  | { absorbedBy?: undefined; readyAt?: number; fields: Partial<JobIn<"pending">>; concurrency?: { key: string; keyLimit: number } };

/**
 * Applies the spec's `dedupe` or `debounce`, if any: see the module comment. Throws on bad
 * input, naming `label` (e.g. "jobs[0]").
 */
export async function keyedEnqueue(
  ctx: MutationCtx,
  pool: Pool,
  spec: KeyedSpec,
  now: number,
  label: string,
): Promise<KeyedEnqueue> {
  validateKeyed(spec, label);
  if (spec.debounce) return await debounce(ctx, pool, spec, spec.debounce, now);
  if (!spec.dedupe) return { fields: {} };
  const { key, ttlMs } = spec.dedupe;
  const mode = spec.dedupe.mode ?? "reject";
  const dedupeKey = `dedupe:${key}`;
  const live = await liveJobs(ctx, pool, dedupeKey, ttlMs === undefined ? -Infinity : now - ttlMs);
  if (mode === "reject" && live.length > 0) return { absorbedBy: live[0]._id };
  const pending = mode === "reject" ? undefined : live.find(notStarted);
  if (pending) return await replace(ctx, pending, spec, spec.runAt === undefined ? {} : { readyAt: Math.max(now, spec.runAt) });
  // queueOneAfterActive serializes its key's jobs through the per-key concurrency limit.
  const concurrency = mode === "queueOneAfterActive" ? { key: `dedupe:${key}`, keyLimit: 1 } : undefined;
  return { fields: { dedupeKey, dedupeMode: mode }, concurrency };
}

/**
 * Debounce, trailing edge: the key's pending job that has not started takes the new spec and
 * runs delayMs from now, but no later than maxWaitMs after the burst's first enqueue. A job
 * already started (running, or pending for a retry) absorbs nothing: a new burst begins.
 */
async function debounce(
  ctx: MutationCtx,
  pool: Pool,
  spec: KeyedSpec,
  { key, delayMs, maxWaitMs }: Infer<typeof vDebounceSpec>,
  now: number,
): Promise<KeyedEnqueue> {
  const dedupeKey = `debounce:${key}`;
  const pending = (await liveJobs(ctx, pool, dedupeKey, -Infinity)).find(notStarted);
  if (!pending) {
    return { readyAt: now + delayMs, fields: { dedupeKey, dedupeMode: "debounce", firstEnqueuedAt: now } };
  }
  const firstEnqueuedAt = pending.firstEnqueuedAt ?? pending._creationTime;
  const readyAt = Math.max(now, Math.min(now + delayMs, firstEnqueuedAt + maxWaitMs));
  return await replace(ctx, pending, spec, { readyAt, firstEnqueuedAt });
}

/**
 * The pending job becomes the new enqueue: function, args, name, retry policy and onComplete
 * (the old onComplete will never be called). It keeps its id, its concurrency key and priority
 * (the dispatcher counts it under that key), and, unless `extra` moves it, its place in the queue.
 * A moved job is delayed again (rank unset) until the dispatcher promotes it; a keyed one whose
 * key had already heard of its rank costs that key one look that finds nothing.
 */
async function replace(
  ctx: MutationCtx,
  job: JobIn<"pending">,
  spec: KeyedSpec,
  extra: Partial<JobIn<"pending">>,
): Promise<KeyedEnqueue> {
  const { kind, fnHandle, fnName, name, args, retryIf, onComplete } = spec;
  // A job whose readyAt moves is delayed again (`rank` unset): the dispatcher ranks it when due.
  const moved = extra.readyAt === undefined || extra.readyAt === job.readyAt ? {} : { rank: undefined };
  await ctx.db.patch(job._id, { kind, fnHandle, fnName, name, args, retry: spec.retry ?? undefined, retryIf, onComplete, ...extra, ...moved });
  // Moved earlier: the dispatch run due at the old time may be too late, so ask for one.
  if (extra.readyAt !== undefined && extra.readyAt < job.readyAt) return { absorbedBy: job._id, wakeAt: extra.readyAt };
  return { absorbedBy: job._id };
}

/**
 * The key's live jobs created after `since`, newest first. A job covered by a cancelAll that is
 * still in progress is as good as canceled, and one whose cancel was requested already reported
 * "canceled": neither counts.
 */
async function liveJobs(ctx: MutationCtx, pool: Pool, dedupeKey: string, since: number) {
  const jobs = await ctx.db
    .query("jobs")
    .withIndex("by_pool_dedupe", (q) => q.eq("pool", pool._id).eq("dedupeKey", dedupeKey))
    .order("desc")
    .take(LOOKUP_LIMIT);
  const cutoff = Math.max(since, pool.canceledBefore ?? -Infinity);
  return jobs.filter((j) => (j.state === "pending" || (j.state === "running" && !j.cancelRequested)) && j._creationTime > cutoff);
}

/** Pending and never started: a job in a retry's backoff has run, so it counts as active. */
function notStarted(job: Job): job is JobIn<"pending"> {
  return job.state === "pending" && job.attempt === 0;
}

/** Bad `dedupe`/`debounce` throws here, naming the field and the fix (the client checks too). */
export function validateKeyed(spec: Pick<KeyedSpec, "dedupe" | "debounce" | "runAt" | "key">, label: string): void {
  const where = `enqueue: ${label}`;
  if (spec.dedupe && spec.debounce) {
    throw new Error(`${where} has both \`dedupe\` and \`debounce\`: pass one (a debounced job already runs once per burst).`);
  }
  const keyed = spec.dedupe ?? spec.debounce;
  if (!keyed) return;
  const option = spec.dedupe ? "dedupe" : "debounce";
  if (keyed.key.length === 0 || keyed.key.length > MAX_KEY_LENGTH) {
    throw new Error(`${where}.${option}.key must be a non-empty string of at most ${MAX_KEY_LENGTH} characters, got ${keyed.key.length} characters.`);
  }
  if (spec.dedupe?.mode === "queueOneAfterActive" && spec.key !== undefined) {
    throw new Error(`${where}: \`key\` and \`dedupe.mode: "queueOneAfterActive"\` cannot be combined: that mode runs the job under the concurrency key "dedupe:" + dedupe.key.`);
  }
  const ttlMs = spec.dedupe?.ttlMs;
  if (ttlMs !== undefined && !(Number.isFinite(ttlMs) && ttlMs > 0)) {
    throw new Error(`${where}.dedupe.ttlMs must be a number of ms > 0 (or left out: no expiry), got ${ttlMs}.`);
  }
  if (!spec.debounce) return;
  const { delayMs, maxWaitMs } = spec.debounce;
  if (!(Number.isFinite(delayMs) && delayMs >= 0)) {
    throw new Error(`${where}.debounce.delayMs must be a number of ms >= 0, got ${delayMs}.`);
  }
  if (!(Number.isFinite(maxWaitMs) && maxWaitMs >= delayMs)) {
    throw new Error(`${where}.debounce.maxWaitMs must be a number of ms >= delayMs (${delayMs}), got ${maxWaitMs}: it bounds how long a steady stream of enqueues can postpone the job.`);
  }
  if (spec.runAt !== undefined) {
    throw new Error(`${where}: \`debounce\` decides when the job runs; drop \`runAt\`/\`runAfter\`.`);
  }
}
