/**
 * Retries in a pool: a webhook pool that retries actions by default and, through its retry
 * rule, stops early on errors that won't get better.
 */
import { ConvexError, v } from "convex/values";
import { RetryAfterError, Workpool, type JobId } from "convex-jobs";
import { components, internal } from "./_generated/api";
import { internalAction, mutation, query } from "./_generated/server";

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
  handler: (ctx, { urls }): Promise<JobId[]> =>
    webhookPool.enqueueActionBatch(ctx, internal.webhooks.deliver, urls.map((url) => ({ url }))),
});

/** How long a rate-limited (429) delivery asks to wait before its retry. */
export const RETRY_AFTER_MS = 2_000;

/** The HTTP status a pretend endpoint answers its `n`th call with: its URL's path lists them in order, the last repeats. */
export function statusOnCall(url: string, n: number): number {
  const codes = url.split("/").pop()!.split(",").map(Number);
  return codes[Math.min(n, codes.length) - 1];
}

/** How many times each URL has been called (the pretend endpoints' memory, per process). */
const deliveries = new Map<string, number>();

/** A pretend HTTP POST, answered as `statusOnCall` says. */
export const deliver = internalAction({
  args: { url: v.string() },
  handler: async (_ctx, { url }) => {
    const n = (deliveries.get(url) ?? 0) + 1;
    deliveries.set(url, n);
    const status = statusOnCall(url, n);
    if (status === 429) throw new RetryAfterError(RETRY_AFTER_MS, "rate limited", { status });
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
