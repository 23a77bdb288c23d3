/**
 * The official @convex-dev/workpool README (0.4.16), its email examples ("Separating and throttling
 * async workloads", "Completion handling", `defineOnComplete`, `onCompleteExcludeKinds`,
 * "Non-retryable errors", "Canceling work", "Reactive status"), written from its documented usage
 * with only the import paths changed to convex-jobs'. Where the README's code cannot compile as
 * printed, the fix is marked `README fix:` (the official package needs it too).
 */
import { NonRetryableError, vOnCompleteValidator, vWorkIdValidator, Workpool, type WorkId } from "convex-jobs/workpool"; // was "@convex-dev/workpool"
import { v } from "convex/values";
import { components, internal } from "./_generated/api";
import type { DataModel } from "./_generated/dataModel";
import { action, internalAction, internalMutation, mutation, query } from "./_generated/server";

export const emailPool = new Workpool(components.emailWorkpool, {
  maxParallelism: 10,
});

const pool = new Workpool(components.emailWorkpool, {
  retryActionsByDefault: true,
  // Specifies config for actions with retry: true, or if retried by default.
  defaultRetryBehavior: { maxAttempts: 3, initialBackoffMs: 1000, base: 2 },
});

export const userSignUp = mutation({
  args: { name: v.string() },
  handler: async (ctx, args) => {
    const userId = await ctx.db.insert("users", args);
    await emailPool.enqueueAction(ctx, internal.email.sendEmailVerification, {
      userId,
    });
  },
});

export const sendEmailVerification = internalAction({
  args: { userId: v.id("users") },
  handler: async () => {
    // an email provider's API call would go here
  },
});

// README fix: exported, so a test (or another module) can call it.
export const sendEmailReliablyWithRetries = mutation({
  args: {
    emailType: v.string(),
    userId: v.id("users"),
    title: v.string(),
    body: v.string(),
  },
  handler: async (ctx, args) => {
    // ... do other things in the transaction
    await pool.enqueueAction(ctx, internal.email.send, args, {
      onComplete: internal.email.emailSent,
      context: { emailType: args.emailType, userId: args.userId },
      retry: false, // don't retry this action, as we can't guarantee idempotency.
    });
  },
});

/** The provider: a title "fail" fails, "bad address" is a NonRetryableError with data. */
export const send = internalAction({
  args: { emailType: v.string(), userId: v.id("users"), title: v.string(), body: v.string() },
  handler: async (_ctx, { title }): Promise<string> => {
    if (title === "bad address") throw new NonRetryableError("Invalid email address", { code: 400 });
    if (title === "fail") throw new Error("provider down");
    return `sent ${title}`;
  },
});

export const emailSent = internalMutation({
  args: vOnCompleteValidator(v.object({ emailType: v.string(), userId: v.id("users") })),
  handler: async (ctx, { workId, context, result }) => {
    if (result.kind === "canceled") return;
    const emailLogId = await ctx.db.insert("userEmailLog", {
      userId: context.userId,
      emailType: context.emailType,
      result: result.kind === "success" ? result.returnValue : null,
      error: result.kind === "failed" ? `${result.error}${result.errorData ? ` ${JSON.stringify(result.errorData)}` : ""}` : null,
    });
    if (result.kind === "failed") {
      await pool.enqueueAction(
        ctx,
        internal.email.checkStatus,
        { userId: context.userId }, // README fix: `{ userId }` names no variable in scope
        {
          retry: { maxAttempts: 10, initialBackoffMs: 250, base: 2 }, // custom
          onComplete: internal.email.handleEmailStatus,
          context: { emailLogId },
        },
      );
    }
    void workId;
  },
});

export const checkStatus = internalAction({
  args: { userId: v.id("users") },
  handler: async (): Promise<string> => "bounced",
});

export const handleEmailStatus = pool.defineOnComplete<DataModel>({
  context: v.object({ emailLogId: v.id("userEmailLog") }),
  handler: async (ctx, { workId, context, result }) => {
    const state = result.kind === "success" ? String(result.returnValue) : result.kind;
    await ctx.db.insert("emailStatus", { emailLogId: context.emailLogId, state: `${state} (${typeof workId})` });
  },
});

/** The README's `defineOnComplete` form of `emailSent` (without the follow-up). */
export const emailSentDefined = pool.defineOnComplete<DataModel>({
  context: v.object({ emailType: v.string(), userId: v.id("users") }),
  handler: async (ctx, { workId, context, result }) => {
    await ctx.db.insert("userEmailLog", {
      userId: context.userId,
      emailType: `${context.emailType} via defineOnComplete`,
      result: result.kind === "success" ? String(result.returnValue) : null,
      error: result.kind === "failed" ? result.error : null,
    });
    void workId;
  },
});

/** `onCompleteExcludeKinds`: the handler hears failures and cancellations only. */
export const sendSkippingSuccess = mutation({
  args: { emailType: v.string(), userId: v.id("users"), title: v.string(), body: v.string() },
  handler: async (ctx, args) => {
    await pool.enqueueAction(ctx, internal.email.send, args, {
      onComplete: internal.email.emailSentDefined,
      onCompleteExcludeKinds: ["success"],
      context: { emailType: args.emailType, userId: args.userId },
    });
  },
});

/** Not in the README: a delayed send whose id the caller keeps, for `getStatus` and `cancelWork`. */
export const enqueueSend = mutation({
  args: { emailType: v.string(), userId: v.id("users"), title: v.string(), body: v.string() },
  handler: async (ctx, args): Promise<WorkId> => {
    return await pool.enqueueAction(ctx, internal.email.send, args, { runAfter: 60_000 });
  },
});

export const getStatus = query({
  args: { id: vWorkIdValidator },
  handler: async (ctx, args) => {
    const status = await pool.status(ctx, args.id); // README fix: `pool.status(args.id)` lacks ctx
    return status;
  },
});

export const cancelWork = mutation({
  args: { id: vWorkIdValidator },
  handler: async (ctx, args) => {
    // You can cancel the work, if it hasn't finished yet.
    await pool.cancel(ctx, args.id);
  },
});

export const cancelEverything = action({
  handler: async (ctx) => {
    await pool.cancelAll(ctx);
  },
});
