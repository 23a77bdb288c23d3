/**
 * The features users of the official @convex-dev/migrations package expect, driven through the
 * example app's `Migrations` instance (`convex/migrations.ts`) as a user would.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { MutationCtx } from "../convex/_generated/server";
import { Migrations, runToCompletion } from "convex-jobs";
import { v } from "convex/values";
import { internalActionGeneric, makeFunctionReference, type FunctionArgs } from "convex/server";
import { components, internal } from "../convex/_generated/api";
import type { DataModel, Doc } from "../convex/_generated/dataModel";
import { migrations } from "../convex/migrations";
import schema from "../convex/schema";
import type { DryRunReport } from "convex-jobs";
import { CREDITS, EMAILS, ROLE, creditsHistogram, finish, one, run, seed, status, steps, users, type Status } from "./migrationHelpers";
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

  test("parallelize: a batch's documents are migrated concurrently; without it, one at a time", async () => {
    // Two migrations in a module of this test, tracking how many migrateOne calls overlap.
    const live = { active: 0, peak: 0 };
    const tracked = async (ctx: MutationCtx, user: Doc<"users">) => {
      live.active++;
      live.peak = Math.max(live.peak, live.active);
      await ctx.db.get(user._id); // a read: the call yields to the others
      live.active--;
      return { credits: (user.credits ?? 0) + 1 };
    };
    const m = new Migrations<DataModel>(components.jobs);
    const module = {
      parallel: m.define({ name: "parallel", table: "users", batchSize: 50, parallelize: true, migrateOne: tracked }),
      serial: m.define({ name: "serial", table: "users", batchSize: 50, migrateOne: tracked }),
    };
    const t = setup({ modules: { "../convex/parallelTest.ts": async () => module } });
    await seed(t, 120);

    await t.run((ctx) => m.runOne(ctx, "parallelTest:parallel"));
    await finish(t);
    expect(await one(t, "parallelTest:parallel")).toMatchObject({ state: "done", processed: 120, batches: 3 });
    expect(live.peak).toBe(50); // a whole batch at once
    expect(creditsHistogram(await users(t))).toEqual({ "1": 120 });

    live.peak = 0;
    await t.run((ctx) => m.runOne(ctx, "parallelTest:serial"));
    await finish(t);
    expect(live.peak).toBe(1);
    expect(creditsHistogram(await users(t))).toEqual({ "2": 120 });

    expect(() => m.define({ table: "users", parallelize: "yes" as never, migrateOne: () => {} })).toThrow(/`parallelize` must be true or false/);
  });

  test("parallelize: a throwing migrateOne fails the batch with the first failing document in page order", async () => {
    const m = new Migrations<DataModel>(components.jobs);
    const module = {
      parallel: m.define({
        name: "parallel",
        table: "users",
        parallelize: true,
        retry: { maxAttempts: 1 },
        migrateOne: async (ctx, user) => {
          await ctx.db.get(user._id);
          if (user.email === "") throw new Error(`user "${user.name}" has no email`);
          return { credits: 100 };
        },
      }),
    };
    const t = setup({ modules: { "../convex/parallelTest.ts": async () => module } });
    await seed(t, 100);
    const all = await users(t);
    for (const i of [40, 20]) await t.run((ctx) => ctx.db.patch(all[i]._id, { email: "" }));
    await t.run((ctx) => m.runOne(ctx, "parallelTest:parallel"));
    await finish(t);
    expect(await one(t, "parallelTest:parallel")).toMatchObject({
      state: "failed",
      processed: 0,
      lastError: { kind: "migrateOne", docId: all[20]._id },
    });
    expect(creditsHistogram(await users(t))).toEqual({ "0": 100 }); // the whole batch rolled back
  });

  test("runner arguments: batchSize and oneBatchOnly for this run, cursor to start from", async () => {
    const t = setup({ transactionLimits: true });
    await seed(t, 1500);

    // One batch of 200 (instead of the defined 500), then the migration pauses.
    const [started] = (await run(t, { fn: CREDITS, batchSize: 200, oneBatchOnly: true })) as Status[];
    expect(started).toMatchObject({ state: "running", batchSize: 200 });
    await finish(t);
    const paused = await one(t, CREDITS);
    expect(paused).toMatchObject({ state: "paused", processed: 200, batches: 1, batchSize: 200 });
    const afterFirst = paused.cursor!;

    // Resuming keeps the run's batch size; the rest goes in batches of 200.
    await t.run((ctx) => migrations.resume(ctx, CREDITS));
    await finish(t);
    expect(await one(t, CREDITS)).toMatchObject({ state: "done", processed: 1500, batches: 8 });
    expect(creditsHistogram(await users(t))).toEqual({ "100": 1500 });

    // A dry run from a cursor reports the batch there.
    const report = (await run(t, { fn: CREDITS, dryRun: true, cursor: afterFirst, batchSize: 50 })) as DryRunReport;
    expect(report).toMatchObject({ cursor: afterFirst, batchSize: 50, documents: 50, changed: 50 });

    // An explicit cursor starts a done migration again from there (the defined size is back).
    await t.run((ctx) => migrations.runOne(ctx, CREDITS, { cursor: afterFirst }));
    await finish(t);
    expect(creditsHistogram(await users(t))).toEqual({ "100": 200, "200": 1300 });
    expect(await one(t, CREDITS)).toMatchObject({ state: "done", batchSize: 500 });
    // null: from the beginning.
    await run(t, { fn: CREDITS, cursor: null });
    await finish(t);
    expect(creditsHistogram(await users(t))).toEqual({ "200": 200, "300": 1300 });
  });

  test("runner arguments are checked, naming the argument", async () => {
    const t = setup();
    await seed(t, 1000);
    await expect(run(t, { fn: CREDITS, batchSize: 0 })).rejects.toThrow(/`batchSize` must be an integer from 1 to 8192, got 0/);
    await expect(t.run((ctx) => migrations.runOne(ctx, CREDITS, { batchSize: 2.5 }))).rejects.toThrow(/`batchSize` must be an integer/);
    await expect(t.run((ctx) => migrations.runOne(ctx, CREDITS, { cursor: 5 as never }))).rejects.toThrow(/`cursor` must be a cursor string/);
    await expect(t.run((ctx) => migrations.runOne(ctx, CREDITS, { oneBatchOnly: "yes" as never }))).rejects.toThrow(/`oneBatchOnly` must be true or false/);
    await expect(run(t, { fn: CREDITS, dryRun: true, reset: true })).rejects.toThrow(/`dryRun` writes nothing/);
    await run(t, { fn: CREDITS });
    await expect(run(t, { fn: CREDITS, cursor: null })).rejects.toThrow(/is running; pause or cancel it before starting it from a `cursor`/);
  });

  test("runner([list]) runs a fixed series in order; runner(fn) one migration", async () => {
    const t = setup({ modules: { "../convex/runnerTest.ts": async () => ({ runEmails: migrations.runner(EMAILS) }) } });
    await seed(t, 600, { migratedEvery: 2 });
    const runAll = (args: { fn?: string; dryRun?: boolean; next?: string[] } = {}) => t.mutation(internal.migrations.runAll, args);

    await t.run((ctx) => migrations.runOne(ctx, ROLE));
    await finish(t);
    // A dry run of a series tries its first migration that is not done.
    expect(await runAll({ dryRun: true })).toMatchObject({ name: CREDITS, documents: 500, changed: 500 });

    const started = (await runAll()) as Status[];
    expect(started.map((s) => [s.name, s.state])).toEqual([
      [ROLE, "done"],
      [CREDITS, "running"],
    ]);
    await finish(t);
    expect((await status(t, [ROLE, CREDITS])).map((s) => s.state)).toEqual(["done", "done"]);
    expect(creditsHistogram(await users(t))).toEqual({ "100": 600 });
    // Done: running the series again is a no-op.
    await runAll();
    await finish(t);
    expect(creditsHistogram(await users(t))).toEqual({ "100": 600 });
    await expect(runAll({ dryRun: true })).rejects.toThrow(/every migration of this series is done/);
    await expect(runAll({ fn: EMAILS })).rejects.toThrow(/this runner runs "migrations:setDefaultRole", "migrations:grantWelcomeCredits"; call it without `fn`/);

    // A runner for one migration.
    await t.mutation(makeFunctionReference<"mutation">("runnerTest:runEmails"), {});
    await finish(t);
    expect(await one(t, EMAILS)).toMatchObject({ state: "done", processed: 600 });

    expect(() => migrations.runner([])).toThrow(/the list is empty/);
    expect(() => migrations.runner(["setDefaultRole"])).toThrow(/use "file:export"/);
    expect(() => migrations.runner([ROLE, internal.migrations.setDefaultRole])).toThrow(/"migrations:setDefaultRole" is listed twice/);
    expect(() => migrations.runner([{ fn: ROLE } as never])).toThrow(/is not a migration/);
  });

  test("a migration called directly starts itself (npx convex run migrations:setDefaultRole)", async () => {
    const t = setup({ transactionLimits: true });
    await seed(t, 1000, { migratedEvery: 2 });
    const setDefaultRole = (args: FunctionArgs<typeof internal.migrations.setDefaultRole> = {}) =>
      t.mutation(internal.migrations.setDefaultRole, args);

    // A dry run: one batch, rolled back.
    expect(await setDefaultRole({ dryRun: true })).toMatchObject({ name: ROLE, documents: 100, changed: 50 });
    expect(await status(t, [ROLE])).toEqual([]);

    // `{}` starts it, with `next` queued behind it.
    expect(await setDefaultRole({ next: [CREDITS] })).toMatchObject({ name: ROLE, state: "running", next: [CREDITS] });
    expect(await setDefaultRole()).toMatchObject({ name: ROLE, state: "running" }); // no second copy
    await finish(t);
    expect((await status(t, [ROLE, CREDITS])).map((s) => [s.state, s.processed])).toEqual([
      ["done", 1000],
      ["done", 1000],
    ]);
    expect((await users(t)).every((u) => u.role !== undefined && u.credits === 100)).toBe(true);

    // Done: a no-op; `reset` with `oneBatchOnly` runs one batch from the beginning, then pauses.
    expect(await setDefaultRole()).toMatchObject({ state: "done", batches: 10 });
    await setDefaultRole({ reset: true, oneBatchOnly: true, batchSize: 300 });
    await finish(t);
    expect(await one(t, ROLE)).toMatchObject({ state: "paused", processed: 300, batches: 1 });

    await expect(setDefaultRole({ fn: CREDITS })).rejects.toThrow(
      /This is the migration "migrations:setDefaultRole": `fn` must be its own name or left out, got "migrations:grantWelcomeCredits"/,
    );
    expect(await setDefaultRole({ fn: ROLE })).toMatchObject({ name: ROLE });
  });

  test("runToCompletion in a test: the official form, inside t.run; nothing left scheduled", async () => {
    const t = setup();
    await seed(t, 250, { migratedEvery: 5 });
    const done = await t.run(async (ctx) => {
      const status = await runToCompletion(ctx, components.jobs, internal.migrations.setDefaultRole);
      // Migrated by the time it returns, in this same function.
      expect((await ctx.db.query("users").collect()).every((u) => u.role !== undefined)).toBe(true);
      return status;
    });
    expect(done).toMatchObject({ name: ROLE, state: "done", processed: 250, batches: 3, progress: 1 });
    expect(await t.run((ctx) => ctx.db.system.query("_scheduled_functions").collect())).toEqual([]);
    // Done: a no-op; `reset` runs it again.
    expect(await t.run((ctx) => migrations.runToCompletion(ctx, ROLE))).toMatchObject({ state: "done", batches: 3 });
    expect(await t.run((ctx) => migrations.runToCompletion(ctx, ROLE, { reset: true, batchSize: 50 }))).toMatchObject({
      state: "done",
      batches: 5,
      batchSize: 50,
    });
    await expect(t.run((ctx) => migrations.runToCompletion(ctx, ROLE, { batchSize: 0 }))).rejects.toThrow(/`batchSize` must be an integer/);
  });

  test("runToCompletion from an action: batches of big documents are split under the limits; a failure throws naming the document", async () => {
    const module = {
      complete: internalActionGeneric({
        args: { fn: v.string() },
        handler: async (ctx, { fn }) => await migrations.runToCompletion(ctx, fn),
      }),
    };
    const t = setup({ transactionLimits: true, modules: { "../convex/inlineTest.ts": async () => module } });
    const complete = (fn: string) => t.action(makeFunctionReference<"action">("inlineTest:complete"), { fn });
    await seed(t, 600, { bioChars: 50_000, chunk: 200 }); // 500 of these exceed the read limit
    const done = await complete(CREDITS);
    expect(done).toMatchObject({ state: "done", processed: 600 });
    expect(done.splits).toBeGreaterThanOrEqual(1);
    expect(creditsHistogram(await users(t))).toEqual({ "100": 600 });

    const broken = (await users(t))[321];
    await t.run((ctx) => ctx.db.patch(broken._id, { email: "" }));
    await expect(complete(CREDITS + "Again")).rejects.toThrow(/could not identify/);
    await t.run((ctx) => migrations.runOne(ctx, CREDITS, { reset: true, oneBatchOnly: true, batchSize: 100 }));
    await finish(t);
    await expect(complete(CREDITS)).rejects.toThrow(new RegExp(`migration "${CREDITS}" failed \\(document ${broken._id}\\): .*user "${broken.name}" has no email`));
    expect(await one(t, CREDITS)).toMatchObject({ state: "failed", lastError: { kind: "migrateOne", docId: broken._id } });
  });

  test("runToCompletion takes over a migration the scheduler is running; every document is still migrated once", async () => {
    const t = setup({ transactionLimits: true });
    await seed(t, 2000);
    await run(t, { fn: CREDITS });
    await steps(t, 1);
    const done = await t.run((ctx) => migrations.runToCompletion(ctx, CREDITS));
    expect(done).toMatchObject({ state: "done", processed: 2000, batches: 4 });
    await finish(t); // the scheduled step left over is stale: it rolls back
    expect(creditsHistogram(await users(t))).toEqual({ "100": 2000 });
    expect(await one(t, CREDITS)).toMatchObject({ state: "done", processed: 2000, batches: 4 });
  });

  test("new Migrations(component, { schema }) types migrations from the schema, as the official package does", async () => {
    const m = new Migrations(components.jobs, { schema });
    // @ts-expect-error "memer" is not a role
    m.define({ table: "users", migrateOne: () => ({ role: "memer" }) });
    // @ts-expect-error no such table
    expect(() => m.define({ table: "", migrateOne: () => {} })).toThrow(/`table` must be the name of one of your tables/);
    const module = {
      shout: m.define({ name: "shout", table: "users", migrateOne: (_ctx, user) => ({ name: user.name.toUpperCase() }) }),
    };
    const t = setup({ modules: { "../convex/schemaTest.ts": async () => module } });
    await seed(t, 120);
    expect(await t.run((ctx) => m.runToCompletion(ctx, "schemaTest:shout"))).toMatchObject({ state: "done", processed: 120 });
    expect((await users(t)).every((u) => u.name === u.name.toUpperCase())).toBe(true);
  });

  test("migrationsLocationPrefix: names without their file, in methods, the runner and next", async () => {
    const m = new Migrations<DataModel>(components.jobs, { migrationsLocationPrefix: "migrations:" });
    const t = setup({ modules: { "../convex/prefixTest.ts": async () => ({ run: m.runner() }) } });
    await seed(t, 300, { badEvery: 50 });
    await t.run((ctx) => m.runOne(ctx, "setDefaultRole", { next: ["grantWelcomeCredits"] }));
    await finish(t);
    const statuses = await t.run((ctx) => m.getStatus(ctx, { migrations: ["setDefaultRole", "grantWelcomeCredits"] }));
    expect(statuses.map((s) => [s.name, s.state])).toEqual([
      [ROLE, "done"],
      [CREDITS, "done"],
    ]);
    expect(await t.run((ctx) => m.cancel(ctx, "setDefaultRole"))).toMatchObject({ name: ROLE, state: "done" });
    await t.mutation(makeFunctionReference<"mutation">("prefixTest:run"), { fn: "normalizeEmails" });
    await finish(t);
    expect(await t.run((ctx) => m.getStatus(ctx, "normalizeEmails"))).toMatchObject({ name: EMAILS, state: "done", skipped: 6 });
    // Full names still work; a prefix must end with ":".
    expect(await t.run((ctx) => m.getStatus(ctx, EMAILS))).toMatchObject({ name: EMAILS });
    expect(() => new Migrations<DataModel>(components.jobs, { migrationsLocationPrefix: "migrations" })).toThrow(
      /`migrationsLocationPrefix` must be a "file:" prefix/,
    );
  });
});
