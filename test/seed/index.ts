/**
 * The official @convex-dev/action-retrier README (0.3.1), its examples ("Installation", "Starting
 * a run", `onComplete`, "Run status", "Canceling a run", "Cleaning up completed runs"), written
 * from its documented usage with only the import paths changed to convex-jobs'. Where the
 * README's code cannot run as printed, the fix is marked `README fix:` (the official package needs
 * it too). Each `kickoff...` is its own export here; the README reuses one name.
 */
import { ActionRetrier, runIdValidator, runResultValidator } from "convex-jobs/action-retrier"; // was "@convex-dev/action-retrier"
import { v } from "convex/values";
import { components, internal } from "./_generated/api";
import { action, internalAction, internalMutation, mutation } from "./_generated/server";

export const retrier = new ActionRetrier(components.actionRetrier, {
  initialBackoffMs: 10000,
  base: 10,
  maxFailures: 4,
});

const quickRetrier = new ActionRetrier(components.actionRetrier);

/**
 * The README leaves it undefined. Here: with a `failureRate`, the module's first two calls fail,
 * so retries happen, yet every run (5 attempts) succeeds whatever the order runs interleave in.
 */
let calls = 0;
function operationThatMightFail(args: { foo?: string; failureRate?: number }): string {
  calls += 1;
  if ((args.failureRate ?? 0) > 0 && calls <= 2) throw new Error(`flaky failure ${calls}`);
  return `ok ${args.foo ?? args.failureRate}`;
}

export const kickoffExampleAction = mutation({
  handler: async (ctx) => {
    const runId = await retrier.run(ctx, internal.index.exampleAction, {
      foo: "bar",
    });
    // ... optionally persist or pass along the runId
  },
});

export const exampleAction = internalAction({
  args: { foo: v.optional(v.string()), failureRate: v.optional(v.number()) },
  handler: async (_ctx, args) => {
    return operationThatMightFail(args);
  },
});

export const kickoffWithOverrides = action(async (ctx) => {
  const runId = await quickRetrier.run(
    ctx,
    internal.index.exampleAction,
    { failureRate: 0.8 },
    {
      initialBackoffMs: 125,
      base: 2.71,
      maxFailures: 3,
    },
  );
});

export const kickoffWithCallback = action(async (ctx) => {
  const runId = await quickRetrier.run(
    ctx,
    internal.index.exampleAction,
    { failureRate: 0.8 },
    {
      onComplete: internal.index.exampleCallback,
    },
  );
});

export const exampleCallback = internalMutation({
  // README fix: the README writes `id:`, but the official retrier calls onComplete with `runId`
  // (its RunOptions type and its `onCompleteValidator` say so), so `id` is refused there too.
  args: { runId: runIdValidator, result: runResultValidator },
  handler: async (ctx, args) => {
    if (args.result.type === "success") {
      console.log("Action succeeded with return value:", args.result.returnValue);
    } else if (args.result.type === "failed") {
      console.log("Action failed with error:", args.result.error);
    } else if (args.result.type === "canceled") {
      console.log("Action was canceled.");
    }
    const value = args.result.type === "success" ? args.result.returnValue : args.result.type === "failed" ? args.result.error : null;
    await ctx.db.insert("retrierLog", { runId: args.runId, type: args.result.type, value });
  },
});

export const kickoffAndWait = action(async (ctx) => {
  const runId = await quickRetrier.run(ctx, internal.index.exampleAction, {
    failureRate: 0.8,
  });
  while (true) {
    const status = await quickRetrier.status(ctx, runId);
    if (status.type === "inProgress") {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    } else {
      console.log("Run completed with result:", status.result);
      return status.result;
    }
  }
});

export const kickoffAndCancel = action(async (ctx) => {
  const runId = await retrier.run(ctx, internal.index.exampleAction, {
    failureRate: 0.8,
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await retrier.cancel(ctx, runId);
});

export const kickoffAndCleanup = action(async (ctx) => {
  const runId = await quickRetrier.run(ctx, internal.index.exampleAction, {
    failureRate: 0.8,
  });
  try {
    while (true) {
      const status = await quickRetrier.status(ctx, runId);
      if (status.type === "inProgress") {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      } else {
        console.log("Run completed with result:", status.result);
        break;
      }
    }
  } finally {
    await quickRetrier.cleanup(ctx, runId);
  }
});
