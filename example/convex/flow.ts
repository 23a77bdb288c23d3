/**
 * Flow control: a per-user pool that runs one job per user at a time (concurrency keys), a
 * rate-limited pool for a model API that also answers 429 now and then (RateLimitedError),
 * pausing either (a whole pool, or one user), and a debounced job (one run per burst of edits).
 */
import { v } from "convex/values";
import { RateLimitedError, Workpool, type DedupedEnqueue, type JobId } from "convex-jobs";
import { components, internal } from "./_generated/api";
import { internalAction, internalMutation, mutation, query } from "./_generated/server";

/**
 * Mailbox syncs: up to 10 at once, but one per user (`key: userId`), so a user's syncs never
 * overlap, and a user with a long backlog does not hold up the others: users take turns.
 */
export const syncPool = new Workpool(components.jobs, { name: "mailSync", maxParallelism: 10, keyConcurrency: 1 });

/** Queues `count` syncs for a user (e.g. one per webhook the mail provider sent). */
export const requestSyncs = mutation({
  args: { userId: v.string(), count: v.number() },
  handler: (ctx, { userId, count }): Promise<JobId[]> =>
    syncPool.enqueueActionBatch(ctx, internal.flow.syncMailbox, Array.from({ length: count }, (_, n) => ({ userId, n })), { key: userId }),
});

/** A pretend sync: 100 ms with the mail provider, then its log entry. */
export const syncMailbox = internalAction({
  args: { userId: v.string(), n: v.number() },
  handler: async (ctx, { userId, n }) => {
    const startedAt = Date.now();
    await new Promise((r) => setTimeout(r, 100));
    await ctx.runMutation(internal.flow.logSync, { userId, n, startedAt, endedAt: Date.now() });
  },
});

export const logSync = internalMutation({
  args: { userId: v.string(), n: v.number(), startedAt: v.number(), endedAt: v.number() },
  handler: async (ctx, row) => {
    await ctx.db.insert("syncs", row);
  },
});

/** Every sync that ran, in start order. */
export const syncLog = query({ args: {}, handler: async (ctx) => (await ctx.db.query("syncs").collect()).sort((a, b) => a.startedAt - b.startedAt) });

/** One user's queue: running, pending, paused, and why their next sync waits. Null when idle. */
export const userQueue = query({ args: { userId: v.string() }, handler: (ctx, { userId }) => syncPool.keyStats(ctx, userId) });

/** Holds one user's syncs (e.g. while they reconnect their account); other users go on. */
export const pauseUser = mutation({ args: { userId: v.string() }, handler: (ctx, { userId }) => syncPool.pauseKey(ctx, userId) });
export const resumeUser = mutation({ args: { userId: v.string() }, handler: (ctx, { userId }) => syncPool.resumeKey(ctx, userId) });

// --- A rate-limited API ----------------------------------------------------------------------

/** Model API calls: at most 5 starts per second (the provider's quota), 5 at once. */
export const modelPool = new Workpool(components.jobs, { name: "model", maxParallelism: 5, rateLimit: { rate: 5, periodMs: 1_000 } });

/** Queues one model call per prompt. */
export const summarizeAll = mutation({
  args: { prompts: v.array(v.string()) },
  handler: (ctx, { prompts }): Promise<JobId[]> => modelPool.enqueueActionBatch(ctx, internal.flow.callModel, prompts.map((prompt) => ({ prompt }))),
});

/** How often each prompt has been sent (the pretend API's memory, per process). */
const sent = new Map<string, number>();

/**
 * A pretend model API. Prompts starting with "busy" get a 429 with `retry-after: 2` the first
 * time: the job goes back in line for 2 s without using an attempt (none is configured).
 */
export const callModel = internalAction({
  args: { prompt: v.string() },
  handler: async (ctx, { prompt }) => {
    const call = (sent.get(prompt) ?? 0) + 1;
    sent.set(prompt, call);
    const startedAt = Date.now();
    await new Promise((r) => setTimeout(r, 50));
    const status = prompt.startsWith("busy") && call === 1 ? 429 : 200;
    await ctx.runMutation(internal.flow.logModelCall, { prompt, startedAt, status });
    if (status === 429) throw new RateLimitedError(2_000, "model API: 429 Too Many Requests");
    return { summary: prompt.slice(0, 10) };
  },
});

export const logModelCall = internalMutation({
  args: { prompt: v.string(), startedAt: v.number(), status: v.number() },
  handler: async (ctx, row) => {
    await ctx.db.insert("modelCalls", row);
  },
});

/** Every call the API received, in start order. */
export const modelCalls = query({ args: {}, handler: async (ctx) => (await ctx.db.query("modelCalls").collect()).sort((a, b) => a.startedAt - b.startedAt) });

/** The model pool: running, waiting, paused, tokens left, when the next may start. */
export const modelPoolState = query({ args: {}, handler: (ctx) => modelPool.inspect(ctx) });
export const modelStats = query({ args: {}, handler: (ctx) => modelPool.stats(ctx) });

/** Stops starting model calls (e.g. the provider has an incident); enqueues still wait in line. */
export const pauseModel = mutation({ args: {}, handler: (ctx) => modelPool.pause(ctx) });
export const resumeModel = mutation({ args: {}, handler: (ctx) => modelPool.resume(ctx) });

// --- Debounce --------------------------------------------------------------------------------

/** Search indexing, one job per burst of edits to a document. */
export const indexPool = new Workpool(components.jobs, { name: "search", maxParallelism: 5 });

/**
 * Re-indexes a document 1 s after its last edit (at most 5 s after the first of a burst), so a
 * burst of edits costs one indexing job, which indexes the latest text. Every edit of a burst
 * gets the same `jobId`; `deduped` is true from the second on.
 */
export const noteEdit = mutation({
  args: { docId: v.string(), text: v.string() },
  handler: async (ctx, { docId, text }): Promise<DedupedEnqueue> => {
    const debounce = { key: `reindex:${docId}`, delayMs: 1_000, maxWaitMs: 5_000 };
    return await indexPool.enqueueMutation(ctx, internal.flow.reindex, { docId, text }, { debounce });
  },
});

export const reindex = internalMutation({
  args: { docId: v.string(), text: v.string() },
  handler: async (ctx, row) => {
    await ctx.db.insert("indexed", { ...row, at: Date.now() });
  },
});

/** Every indexing run. */
export const indexed = query({ args: {}, handler: (ctx) => ctx.db.query("indexed").collect() });
