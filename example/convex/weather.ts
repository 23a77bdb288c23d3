/**
 * Retries: a flaky "weather API" called through the standalone ActionRetrier. (Retries in a
 * pool, with retry rules: ./webhooks.ts.)
 */
import { v } from "convex/values";
import { ActionRetrier, NonRetryableError, onCompleteArgs, vRunId, type RunId } from "convex-jobs";
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
