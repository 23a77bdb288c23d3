// The action the workpool README's scrape examples enqueue (`internal.weather.scrape`); the
// README does not show it. Offline, it records the city instead of calling a weather API.
import { v } from "convex/values";
import { internal } from "./_generated/api";
import { internalAction } from "./_generated/server";

export const scrape = internalAction({
  args: { city: v.string() },
  handler: async (ctx, { city }) => {
    await ctx.runMutation(internal.scrape.record, { city });
  },
});
