/**
 * The official @convex-dev/workpool README (0.4.16): "Separating and throttling async workloads"
 * and "Batching", with only the import paths changed to convex-jobs'.
 */
import { Workpool } from "convex-jobs/workpool"; // was "@convex-dev/workpool"
import { v } from "convex/values";
import { internal } from "./_generated/api";
import { components } from "./_generated/api";
import { action, internalMutation, mutation } from "./_generated/server";

const scrapePool = new Workpool(components.scrapeWorkpool, {
  maxParallelism: 5,
});

const allCities = ["New York", "Los Angeles", "Chicago", "Houston", "Phoenix", "Philadelphia", "San Antonio"];

export const downloadLatestWeather = mutation({
  handler: async (ctx) => {
    for (const city of allCities) {
      await scrapePool.enqueueAction(ctx, internal.weather.scrape, { city });
    }
  },
});

export const downloadBatch = action({
  handler: async (ctx) => {
    await scrapePool.enqueueActionBatch(ctx, internal.weather.scrape, [
      { city: "New York" },
      { city: "Los Angeles" },
      { city: "Chicago" },
    ]);
  },
});

export const record = internalMutation({
  args: { city: v.string() },
  handler: async (ctx, { city }) => {
    await ctx.db.insert("retrierLog", { runId: "scrape", type: "scraped", value: city });
  },
});
