/** Helpers for the migrations tests: seeding, reading users in pages, stepping batches. */
import type { FunctionArgs } from "convex/server";
import { vi } from "vitest";
import { internal } from "../convex/_generated/api";
import type { Doc } from "../convex/_generated/dataModel";
import { setup } from "./setup";

export type T = ReturnType<typeof setup>;
export type Status = Awaited<ReturnType<typeof status>>[number];

export const CREDITS = "migrations:grantWelcomeCredits";
export const ROLE = "migrations:setDefaultRole";
export const EMAILS = "migrations:normalizeEmails";

export async function seed(t: T, count: number, opts: { migratedEvery?: number; badEvery?: number; bioChars?: number; chunk?: number } = {}) {
  const { chunk = 5000, ...rest } = opts;
  for (let done = 0; done < count; done += chunk) {
    await t.mutation(internal.migrations.seedUsers, { count: Math.min(chunk, count - done), ...rest });
  }
}

/** All users, read in pages (a table of big documents does not fit one transaction's read limit). */
export async function users(t: T): Promise<Doc<"users">[]> {
  const all: Doc<"users">[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = await t.run((ctx) => ctx.db.query("users").paginate({ cursor, numItems: 100 }));
    all.push(...page.page);
    if (page.isDone) return all;
    cursor = page.continueCursor;
  }
}
export const status = (t: T, fns?: string[]) => t.query(internal.migrations.status, { fns });
export const one = async (t: T, fn: string): Promise<Status> => (await status(t, [fn]))[0];
export const run = (t: T, args: FunctionArgs<typeof internal.migrations.run>) => t.mutation(internal.migrations.run, args);

/** Runs every scheduled function until none is left (backoff timers included). */
export const finish = (t: T) => t.finishAllScheduledFunctions(vi.runAllTimers, 10_000);

/** Lets exactly the next timer fire and its function finish: one driver step = one batch. */
export async function steps(t: T, n: number) {
  for (let i = 0; i < n; i++) {
    vi.advanceTimersToNextTimer();
    await t.finishInProgressScheduledFunctions();
  }
}

/** Every user's credits: exactly-once means every migrated user has exactly 100. */
export function creditsHistogram(all: Doc<"users">[]) {
  const h: Record<string, number> = {};
  for (const u of all) h[String(u.credits ?? 0)] = (h[String(u.credits ?? 0)] ?? 0) + 1;
  return h;
}

