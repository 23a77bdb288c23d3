/**
 * Acceptance: the official @convex-dev/workpool, @convex-dev/action-retrier and
 * @convex-dev/migrations README examples (this folder, import paths changed to
 * "convex-jobs/workpool", "convex-jobs/action-retrier" and "convex-jobs/migrations")
 * run on convex-jobs in convex-test, with the official shapes: onComplete gets `{ workId, context,
 * result }` (ConvexError data in `errorData`) or `{ runId, result: { type } }`; `status` is
 * `{ state, previousAttempts }` or `{ type: "inProgress" | "completed" }`.
 * Runs in this repository (aliases to src/) and in scripts/first-hour.mjs's fresh app, against
 * the installed tarball; so it imports only what a user's app can.
 */
import { convexTest } from "convex-test";
import { register, withClock } from "convex-jobs/test";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { runToCompletion } from "convex-jobs/migrations";
import component from "convex-jobs/migrations/test";
import { api, components, internal } from "./_generated/api";
import { migrations } from "./migrations";
import schema from "./schema";

const modules = import.meta.glob("./**/*.ts");
const MOUNTS = ["emailWorkpool", "scrapeWorkpool", "counterWorkpool", "actionRetrier", "migrations"];

function setup() {
  const t = convexTest(schema, modules);
  for (const name of MOUNTS) register(t, { name, modules });
  return t;
}
type T = ReturnType<typeof setup>;
const table = <N extends "userEmailLog" | "emailStatus" | "counter" | "retrierLog">(t: T, name: N) =>
  t.run((ctx) => ctx.db.query(name).collect());

// The retrier README's callback logs each outcome with console.log: keep test output quiet.
beforeEach(() => void vi.spyOn(console, "log").mockImplementation(() => {}));
afterEach(() => vi.restoreAllMocks());

describe("the official workpool README, on convex-jobs/workpool", () => {
  test("onComplete gets { workId, context, result }; a failure enqueues a follow-up; errorData", () =>
    withClock(async (clock) => {
      const t = setup();
      const userId = await t.run((ctx) => ctx.db.insert("users", { name: "ada" }));
      await t.mutation(api.email.userSignUp, { name: "bob" });
      for (const title of ["hi", "fail", "bad address"]) {
        await t.mutation(api.email.sendEmailReliablyWithRetries, { emailType: "welcome", userId, title, body: "..." });
      }
      await clock.drain();
      const logs = await table(t, "userEmailLog");
      expect(logs.map((l) => [l.emailType, l.result, l.error])).toEqual([
        ["welcome", "sent hi", null],
        ["welcome", null, "provider down"],
        ["welcome", null, 'Invalid email address {"code":400}'],
      ]);
      // Each failure enqueued checkStatus, whose defineOnComplete handler got a string workId.
      expect((await table(t, "emailStatus")).map((s) => s.state)).toEqual(["bounced (string)", "bounced (string)"]);
    }));

  test("onCompleteExcludeKinds with a defineOnComplete handler", () =>
    withClock(async (clock) => {
      const t = setup();
      const userId = await t.run((ctx) => ctx.db.insert("users", { name: "ada" }));
      for (const title of ["hi", "fail"]) {
        await t.mutation(api.email.sendSkippingSuccess, { emailType: "digest", userId, title, body: "..." });
      }
      await clock.drain();
      const logs = await table(t, "userEmailLog");
      expect(logs.map((l) => [l.emailType, l.error])).toEqual([["digest via defineOnComplete", "provider down"]]);
    }));

  test("status is { state, previousAttempts }, then finished; cancel; cancelAll", () =>
    withClock(async (clock) => {
      const t = setup();
      const userId = await t.run((ctx) => ctx.db.insert("users", { name: "ada" }));
      const args = { emailType: "later", userId, title: "hi", body: "..." };
      const [a, b] = [await t.mutation(api.email.enqueueSend, args), await t.mutation(api.email.enqueueSend, args)];
      expect(await t.query(api.email.getStatus, { id: a })).toEqual({ state: "pending", previousAttempts: 0 });
      await t.mutation(api.email.cancelWork, { id: a });
      await t.action(api.email.cancelEverything, {});
      await clock.drain();
      expect(await t.query(api.email.getStatus, { id: a })).toEqual({ state: "finished" });
      expect(await t.query(api.email.getStatus, { id: b })).toEqual({ state: "finished" });
      expect(await table(t, "userEmailLog")).toEqual([]); // canceled: never sent, no onComplete
    }));

  test("a pool of one serializes the counter; the scrape pool takes batches", () =>
    withClock(async (clock) => {
      const t = setup();
      await t.run((ctx) => ctx.db.insert("counter", { count: 0 }));
      for (let i = 0; i < 5; i++) await t.action(api.counter.doSomethingAndCount, {});
      await t.mutation(api.scrape.downloadLatestWeather, {});
      await t.action(api.scrape.downloadBatch, {});
      await clock.drain();
      expect((await table(t, "counter"))[0].count).toBe(5);
      expect((await table(t, "retrierLog")).filter((r) => r.type === "scraped")).toHaveLength(10);
    }));
});

describe("the official action-retrier README, on convex-jobs/action-retrier", () => {
  test("run, per-run backoff, onComplete { runId, result: { type } }", () =>
    withClock(async (clock) => {
      const t = setup();
      await t.mutation(api.index.kickoffExampleAction, {});
      await t.action(api.index.kickoffWithOverrides, {});
      await t.action(api.index.kickoffWithCallback, {});
      await clock.drain();
      const log = await table(t, "retrierLog");
      expect(log.map((r) => [typeof r.runId, r.type, r.value])).toEqual([["string", "success", "ok 0.8"]]);
      expect(console.log).toHaveBeenCalledWith("Action succeeded with return value:", "ok 0.8");
    }));

  test("status polling until { type: completed }, cancel, cleanup", () =>
    withClock(async (clock) => {
      const t = setup();
      const waited = t.action(api.index.kickoffAndWait, {});
      const canceled = t.action(api.index.kickoffAndCancel, {});
      const cleaned = t.action(api.index.kickoffAndCleanup, {});
      await clock.drain();
      expect(await waited).toEqual({ type: "success", returnValue: expect.stringMatching(/^ok /) });
      await canceled;
      await cleaned;
      expect(console.log).toHaveBeenCalledWith("Run completed with result:", expect.objectContaining({ type: "success" }));
    }));
});

describe("the official migrations README, on convex-jobs/migrations", () => {
  const seedRows = (t: T, n: number) =>
    t.run(async (ctx) => {
      for (let i = 0; i < n; i++) {
        await ctx.db.insert("myTable", { requiredField: i % 4 === 0 ? "" : `r${i}`, ...(i % 2 ? { optionalField: "kept" } : {}) });
      }
    });
  const rows = (t: T) => t.run((ctx) => ctx.db.query("myTable").collect());

  test("from the CLI: a migration called directly (dryRun, reset, next), the runner, a series", () =>
    withClock(async (clock) => {
      const t = setup();
      await seedRows(t, 120);
      // npx convex run migrations:setDefaultValue '{dryRun: true}'
      await t.mutation(internal.migrations.setDefaultValue, { dryRun: true });
      expect((await rows(t)).filter((d) => d.optionalField === "default")).toHaveLength(0);
      // npx convex run migrations:setDefaultValue
      await t.mutation(internal.migrations.setDefaultValue, {});
      await clock.drain();
      expect((await rows(t)).filter((d) => d.optionalField === "default")).toHaveLength(60);
      // npx convex run migrations:run '{fn: "migrations:clearField"}'
      await t.mutation(internal.migrations.run, { fn: "migrations:clearField" });
      await clock.drain();
      expect((await rows(t)).every((d) => d.optionalField === undefined)).toBe(true);
      // npx convex run migrations:setDefaultValue '{reset: true, next: ["migrations:clearFieldParallel"]}'
      await t.mutation(internal.migrations.setDefaultValue, { reset: true, next: ["migrations:clearFieldParallel"] });
      await clock.drain();
      expect((await rows(t)).every((d) => d.optionalField === undefined)).toBe(true);
      // npx convex run migrations:runAll
      await t.mutation(internal.migrations.runAll, {});
      await clock.drain();
      const docs = await rows(t);
      expect(docs.filter((d) => d.requiredField === "<unknown>")).toHaveLength(30); // the customRange
      // setDefaultValue was done already (the reset run above): the series skips it.
      expect(docs.every((d) => d.optionalField === undefined)).toBe(true);
    }));

  test("from code: runOne, runSerially, getStatus and cancel in the official shapes", () =>
    withClock(async (clock) => {
      const t = setup();
      await seedRows(t, 40);
      await t.action(internal.migrations.startOne, {});
      const canceled = await t.run((ctx) => migrations.cancel(ctx, internal.migrations.clearFieldSmallBatches));
      expect(canceled).toMatchObject({ name: "migrations:clearFieldSmallBatches", state: "canceled", isDone: false });
      await t.action(internal.migrations.startSeries, {});
      await clock.drain();
      const statuses = await t.run((ctx) =>
        migrations.getStatus(ctx, { migrations: [internal.migrations.setDefaultValue, internal.migrations.validateRequiredField, "migrations:clearField"] }),
      );
      expect(statuses.map((s) => [s.name, s.state, s.isDone, s.processed])).toEqual([
        ["migrations:setDefaultValue", "success", true, 40],
        ["migrations:validateRequiredField", "success", true, 10],
        ["migrations:clearField", "unknown", false, 0],
      ]);
      expect((await t.run((ctx) => migrations.getStatus(ctx, { limit: 10 }))).map((s) => s.state)).toEqual(["success", "success", "canceled"]);
      expect(await t.run((ctx) => migrations.cancelAll(ctx))).toEqual([]);
      // npx convex run migrations:runAll '{reset: true}'
      await t.mutation(internal.migrations.runAll, { reset: true });
      await clock.drain();
      // A one-document batch, from a mutation; the status from a query.
      await t.mutation(internal.migrations.startOneSmall, {});
      await clock.drain();
      const recent = await t.query(internal.migrations.recentStatus, {});
      expect(recent.map((s) => [s.name, s.state, s.batchSize])).toEqual([
        ["migrations:clearField", "success", 1],
        ["migrations:validateRequiredField", "success", 100],
        ["migrations:setDefaultValue", "success", 100],
        ["migrations:clearFieldSmallBatches", "canceled", 10],
      ]);
    }));

  test("the shorthand syntax: migrationsLocationPrefix", () =>
    withClock(async (clock) => {
      const t = setup();
      await seedRows(t, 12);
      // npx convex run migrations:runShort '{fn: "myNewMutation", next: ["myNextMutation"]}'
      await t.mutation(internal.migrations.runShort, { fn: "myNewMutation", next: ["myNextMutation"] });
      await clock.drain();
      expect((await rows(t)).every((d) => d.optionalField === "next")).toBe(true);
      await t.mutation(internal.migrations.cancelShort, {});
      const [s] = await t.run((ctx) => migrations.getStatus(ctx, { migrations: ["migrations:myNewMutation"] }));
      expect(s).toMatchObject({ state: "success", processed: 12 }); // done: nothing to cancel
    }));

  test("runToCompletion: from an action, and in a test as the README writes it", () =>
    withClock(async () => {
      const t = setup();
      await seedRows(t, 30);
      await t.action(internal.migrations.myAction, {});
      expect((await rows(t)).every((d) => d.optionalField !== undefined)).toBe(true);
      await t.run(async (ctx) => {
        await ctx.db.insert("myTable", { requiredField: "x", optionalField: undefined });
        const status = await runToCompletion(ctx, components.migrations, internal.migrations.setDefaultValue, { cursor: null });
        expect(status).toMatchObject({ name: "migrations:setDefaultValue", state: "success", isDone: true });
        const docs = await ctx.db.query("myTable").collect();
        expect(docs.every((doc) => doc.optionalField !== undefined)).toBe(true);
      });
    }));
});

// The README's "In a test" example, import paths changed. It passes `modules` to convexTest only
// because this app's convex-test is linked from elsewhere (its default glob finds your convex/),
// and the inserted document has this schema's `requiredField` (the README shows no schema).
test("test setDefaultValue migration", async () => {
  const t = convexTest(schema, modules);
  // Register the component in the test instance
  component.register(t);

  await t.run(async (ctx) => {
    // Add sample data to migrate
    await ctx.db.insert("myTable", { requiredField: "x", optionalField: undefined });

    // Run the migration to completion
    const migrationToTest = internal.migrations.setDefaultValue;
    await runToCompletion(ctx, components.migrations, migrationToTest);

    // Assert that the migration was successful by checking the data
    const docs = await ctx.db.query("myTable").collect();
    expect(docs.every((doc) => doc.optionalField !== undefined)).toBe(true);
  });
});
