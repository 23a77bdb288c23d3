/**
 * Retries: a flaky "weather API" called through the standalone ActionRetrier, and a webhook
 * pool that retries actions by default and stops early on errors that won't get better.
 */
import { ConvexError, v } from "convex/values";
import { ActionRetrier, NonRetryableError, RetryAfterError, Workpool, onCompleteArgs, vRunId, type JobId, type RunId } from "convex-jobs";
import { components, internal } from "./_generated/api";
import { internalAction, internalMutation, mutation, query } from "./_generated/server";

export const retrier = new ActionRetrier(components.jobs, { initialBackoffMs: 250, base: 2, maxFailures: 4 });

/** Fetches a city's weather in the background, retrying the flaky API with backoff. */
export const fetchWeather = mutation({
  args: { city: v.string() },
  handler: async (ctx, { city }): Promise<RunId> => {
    const runId = await retrier.run(ctx, internal.weather.callApi, { city }, {
      onComplete: internal.weather.recordWeather,
      context: { city },
    });
    const existing = await ctx.db
      .query("weather")
      .withIndex("by_city", (q) => q.eq("city", city))
      .unique();
    if (existing) await ctx.db.patch(existing._id, { status: "fetching", runId });
    else await ctx.db.insert("weather", { city, status: "fetching", runId });
    return runId;
  },
});

/** How many times each city has been asked for (the fake API's memory, per process). */
const calls = new Map<string, number>();

/**
 * A pretend weather API. Each city fails a fixed number of times before answering (so runs are
 * reproducible); cities named "Atlantis..." don't exist, which no retry will fix.
 */
export const callApi = internalAction({
  args: { city: v.string() },
  returns: v.object({ tempC: v.number() }),
  handler: async (_ctx, { city }) => {
    const n = (calls.get(city) ?? 0) + 1;
    calls.set(city, n);
    await new Promise((r) => setTimeout(r, 200)); // network latency
    if (city.startsWith("Atlantis")) throw new NonRetryableError(`unknown city: ${city}`, { status: 404 });
    if (n <= flakiness(city)) throw new Error(`weather API timed out (call ${n})`);
    return { tempC: (city.length * 7) % 35 };
  },
});

/** 0 to 3 failures, fixed per city. */
export function flakiness(city: string): number {
  let h = 0;
  for (const ch of city) h = (h * 31 + ch.charCodeAt(0)) % 1009;
  return h % 4;
}

export const recordWeather = internalMutation({
  args: onCompleteArgs(v.object({ city: v.string() }), v.object({ tempC: v.number() })),
  handler: async (ctx, { context, result }) => {
    const row = await ctx.db
      .query("weather")
      .withIndex("by_city", (q) => q.eq("city", context.city))
      .unique();
    if (!row) return;
    if (result.kind === "success") await ctx.db.patch(row._id, { status: "done", tempC: result.returnValue.tempC });
    else if (result.kind === "failed") await ctx.db.patch(row._id, { status: "failed", error: result.error });
    else await ctx.db.patch(row._id, { status: "canceled" });
  },
});

export const reports = query({ args: {}, handler: (ctx) => ctx.db.query("weather").collect() });

/** A run's live status: attempts so far, last error, when the next attempt is due. */
export const runStatus = query({
  args: { runId: vRunId }, // typed as a RunId: no cast
  handler: (ctx, { runId }) => retrier.status(ctx, runId),
});

// --- Retries in a pool -----------------------------------------------------------------------

export const webhookPool = new Workpool(components.jobs, {
  name: "webhooks",
  maxParallelism: 10,
  retry: { maxAttempts: 6, initialBackoffMs: 500, base: 2 },
  retryActionsByDefault: true,
  // Retry rate limits and server errors; a 4xx other than 429 won't improve.
  retryIf: { dataMatches: [{ status: 429 }, { status: { gte: 500, lt: 600 } }] },
});

/** Delivers a payload to each URL, retrying per the pool's rule. */
export const deliverAll = mutation({
  args: { urls: v.array(v.string()) },
  handler: (ctx, { urls }): Promise<JobId[]> => webhookPool.enqueueActionBatch(ctx, internal.weather.deliver, urls.map((url) => ({ url }))),
});

const deliveries = new Map<string, number>();

/** A pretend HTTP POST: the URL's path names the status codes it answers with, in order. */
export const deliver = internalAction({
  args: { url: v.string() },
  handler: async (_ctx, { url }) => {
    const n = (deliveries.get(url) ?? 0) + 1;
    deliveries.set(url, n);
    const codes = url.split("/").pop()!.split(",").map(Number);
    const status = codes[Math.min(n, codes.length) - 1];
    if (status === 429) throw new RetryAfterError(2_000, "rate limited", { status });
    if (status >= 400) throw new ConvexError({ message: `HTTP ${status}`, status });
    return { status, attempts: n };
  },
});

export const webhookStats = query({ args: {}, handler: (ctx) => webhookPool.stats(ctx) });

/** A delivery's status. Ids are scoped to their pool: the retrier's `runStatus` would say null. */
export const deliveryStatus = query({
  args: { jobId: v.string() },
  handler: (ctx, { jobId }) => webhookPool.status(ctx, jobId as JobId),
});
