/**
 * The features users of the official @convex-dev/migrations package expect, driven through the
 * example app's `Migrations` instance (`convex/migrations.ts`) as a user would.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { migrations } from "../convex/migrations";
import { CREDITS, EMAILS, ROLE, creditsHistogram, finish, one, run, seed, status, steps, users } from "./migrationHelpers";
import { setup } from "./setup";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("migrations: drop-in for @convex-dev/migrations", () => {
  test("status of many migrations at once, with a limit", async () => {
    const t = setup();
    await seed(t, 50);
    await run(t, { fn: ROLE });
    await run(t, { fn: CREDITS });
    await run(t, { fn: EMAILS });
    await finish(t);

    const names = (list: { name: string }[]) => list.map((s) => s.name);
    // Newest first, capped by `limit`.
    expect(names(await t.run((ctx) => migrations.status(ctx, { limit: 2 })))).toEqual([EMAILS, CREDITS]);
    expect(names(await t.run((ctx) => migrations.status(ctx)))).toEqual([EMAILS, CREDITS, ROLE]);
    // Named ones, in the order asked, capped by `limit`; unknown names left out.
    const named = await t.run((ctx) => migrations.status(ctx, { migrations: [ROLE, "migrations:nope", EMAILS, CREDITS], limit: 2 }));
    expect(names(named)).toEqual([ROLE, EMAILS]);
    expect(named.every((s) => s.state === "done")).toBe(true);
    // The official package's form: getStatus(ctx, { migrations, limit }) returns a list.
    expect(names(await t.run((ctx) => migrations.getStatus(ctx, { limit: 1 })))).toEqual([EMAILS]);
    expect(await t.run((ctx) => migrations.getStatus(ctx, ROLE))).toMatchObject({ name: ROLE, state: "done" });

    await expect(t.run((ctx) => migrations.status(ctx, { limit: 0 }))).rejects.toThrow(/`limit` must be a positive integer, got 0/);
    await expect(t.run((ctx) => migrations.status(ctx, { limit: 1.5 }))).rejects.toThrow(/`limit` must be a positive integer/);
    await expect(t.run((ctx) => migrations.status(ctx, { names: [ROLE] } as never))).rejects.toThrow(/unknown option `names`/);
    await expect(t.run((ctx) => migrations.status(ctx, { migrations: ROLE } as never))).rejects.toThrow(/`migrations` must be a list/);
  });

  test("cancelAll stops every running, paused and pending migration; each continues from its cursor later", async () => {
    const t = setup({ transactionLimits: true });
    await seed(t, 3000);
    await run(t, { fn: ROLE });
    await run(t, { fns: [CREDITS, EMAILS] }); // credits runs, emails waits behind it
    await steps(t, 2);
    await t.run((ctx) => migrations.pause(ctx, ROLE));
    const before = await status(t, [ROLE, CREDITS, EMAILS]);
    expect(before.map((s) => s.state)).toEqual(["paused", "running", "pending"]);

    const canceled = await t.run((ctx) => migrations.cancelAll(ctx));
    expect(canceled.map((s) => [s.name, s.state]).sort()).toEqual([
      [CREDITS, "canceled"],
      [EMAILS, "canceled"],
      [ROLE, "canceled"],
    ]);
    await finish(t); // steps already scheduled find their migrations canceled and roll back
    const after = await status(t, [ROLE, CREDITS, EMAILS]);
    expect(after.map((s) => [s.state, s.processed])).toEqual(before.map((s) => ["canceled", s.processed]));
    expect(creditsHistogram(await users(t))["100"]).toBe(after[1].processed);
    // Nothing left to cancel.
    expect(await t.run((ctx) => migrations.cancelAll(ctx))).toEqual([]);

    // Running one again continues from where it was canceled.
    await run(t, { fn: CREDITS });
    await finish(t);
    expect(await one(t, CREDITS)).toMatchObject({ state: "done", processed: 3000 });
    expect(creditsHistogram(await users(t))).toEqual({ "100": 3000 });
  });
});
