/**
 * Batched migrations over the `users` table, as an app writes them.
 *
 *   npx convex run migrations:setDefaultRole            (or migrations:run '{"fn":"migrations:setDefaultRole"}')
 *   npx convex run migrations:runAll                    (the fixed series)
 *   npx convex run migrations:status --watch
 */
import { v } from "convex/values";
import { Migrations, NonRetryableError } from "convex-jobs";
import { components, internal } from "./_generated/api";
import type { DataModel } from "./_generated/dataModel";
import { internalMutation, internalQuery } from "./_generated/server";
import schema from "./schema";

// The schema lets `define` refuse a misspelled table at import time.
export const migrations = new Migrations<DataModel>(components.jobs, { internalMutation, schema });

/** Users created before roles existed get the default role. Idempotent. */
export const setDefaultRole = migrations.define({
  name: "setDefaultRole",
  table: "users",
  migrateOne: async (_ctx, user) => {
    if (user.role === undefined) return { role: "member" };
  },
  // Counting reads every user: fine for a few thousand; past 10,000 this is a lower bound.
  estimateTotal: async (ctx) => (await ctx.db.query("users").take(10_000)).length,
});

/**
 * Every user gets 100 welcome credits. Not idempotent: it relies on each user being migrated
 * exactly once. A user with no email is a data error: the batch fails (retried with backoff, in
 * case someone fixes it meanwhile), then the migration fails naming the user. A frozen account
 * (negative credits) stops the migration at once: no retry can help.
 */
export const grantWelcomeCredits = migrations.define({
  name: "grantWelcomeCredits",
  table: "users",
  batchSize: 500,
  migrateOne: async (_ctx, user) => {
    if (user.email === "") throw new Error(`user "${user.name}" has no email`);
    if ((user.credits ?? 0) < 0) throw new NonRetryableError(`account of "${user.name}" is frozen`);
    return { credits: (user.credits ?? 0) + 100 };
  },
});

/** Lower-cases emails; users with an invalid email are skipped (counted, ids recorded). */
export const normalizeEmails = migrations.define({
  name: "normalizeEmails",
  table: "users",
  onError: "skip",
  migrateOne: async (ctx, user) => {
    if (!user.email.includes("@")) throw new Error(`invalid email "${user.email}"`);
    const email = user.email.trim().toLowerCase();
    if (email !== user.email) await ctx.db.patch(user._id, { email });
  },
});

/** From the CLI: `npx convex run migrations:run '{"fn":"migrations:setDefaultRole"}'` (also fns, next, reset, dryRun). */
export const run = migrations.runner();

/** A fixed series, for a deploy script: `npx convex run migrations:runAll` (done ones are skipped). */
export const runAll = migrations.runner([internal.migrations.setDefaultRole, internal.migrations.grantWelcomeCredits]);

/** Statuses of all migrations (or the named ones). `npx convex run migrations:status --watch` */
export const status = internalQuery({
  args: { fns: v.optional(v.array(v.string())) },
  handler: async (ctx, { fns }) => await migrations.status(ctx, fns),
});

export const cancel = internalMutation({
  args: { fn: v.string() },
  handler: async (ctx, { fn }) => await migrations.cancel(ctx, fn),
});

export const pause = internalMutation({
  args: { fn: v.string() },
  handler: async (ctx, { fn }) => await migrations.pause(ctx, fn),
});

export const resume = internalMutation({
  args: { fn: v.string() },
  handler: async (ctx, { fn }) => await migrations.resume(ctx, fn),
});

/**
 * Seeds `count` users for trying migrations out: every `migratedEvery`-th one already has a role,
 * every `badEvery`-th one has an invalid email, and each gets a bio of `bioChars` characters.
 * Inserts at most 5,000 per call (one transaction).
 */
export const seedUsers = internalMutation({
  args: {
    count: v.number(),
    migratedEvery: v.optional(v.number()),
    badEvery: v.optional(v.number()),
    bioChars: v.optional(v.number()),
  },
  handler: async (ctx, { count, migratedEvery = 4, badEvery, bioChars = 0 }) => {
    if (!Number.isInteger(count) || count < 0 || count > 5000) {
      throw new Error(`seedUsers: \`count\` must be an integer from 0 to 5000 (one transaction), got ${count}.`);
    }
    const bio = bioChars > 0 ? "x".repeat(bioChars) : undefined;
    for (let i = 0; i < count; i++) {
      const bad = badEvery !== undefined && i % badEvery === badEvery - 1;
      await ctx.db.insert("users", {
        name: `user${i}`,
        email: bad ? `user${i}-at-example.com` : `User${i}@Example.com`,
        role: migratedEvery > 0 && i % migratedEvery === 0 ? "admin" : undefined,
        bio,
      });
    }
    return count;
  },
});
