/**
 * Batched migrations, driven through the example app's `Migrations` instance as a user would
 * (the runner, status, cancel, pause, resume), over thousands of documents with Convex's
 * transaction limits enforced, with faults injected.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { Migrations } from "convex-jobs";
import { components, internal } from "../convex/_generated/api";
import type { DataModel } from "../convex/_generated/dataModel";
import { setup } from "./setup";
import { CREDITS, EMAILS, ROLE, creditsHistogram, finish, one, run, seed, status, steps, users, type Status } from "./migrationHelpers";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("migrations", () => {
  test("setDefaultRole over 3,000 users: batches of 100, status, re-run is a no-op, reset runs again", async () => {
    const t = setup({ transactionLimits: true });
    await seed(t, 3000, { migratedEvery: 4 }); // 750 admins already have a role
    const [started] = (await run(t, { fn: ROLE })) as Status[];
    expect(started).toMatchObject({ name: ROLE, table: "users", state: "running", processed: 0, total: 3000, progress: 0 });

    await steps(t, 10);
    const mid = await one(t, ROLE);
    expect(mid).toMatchObject({ state: "running", processed: 1000, batches: 10, batchSize: 100 });
    expect(mid.progress).toBeCloseTo(1 / 3, 5);
    expect(mid.cursor).toEqual(expect.any(String));

    await finish(t);
    const all = await users(t);
    expect(all.filter((u) => u.role === "member")).toHaveLength(2250);
    expect(all.filter((u) => u.role === "admin")).toHaveLength(750); // untouched
    const done = await one(t, ROLE);
    expect(done).toMatchObject({ state: "done", processed: 3000, batches: 30, progress: 1, skipped: 0, attempts: 0 });
    expect(done.endedAt).toBeGreaterThanOrEqual(done.startedAt!);
    expect(done.lastError).toBeUndefined();

    // Running a done migration again does nothing.
    const [again] = (await run(t, { fn: ROLE })) as Status[];
    expect(again).toMatchObject({ state: "done", batches: 30 });
    await finish(t);
    expect(await one(t, ROLE)).toMatchObject({ state: "done", batches: 30, processed: 3000 });

    // reset starts it over from the beginning.
    await run(t, { fn: ROLE, reset: true });
    await finish(t);
    expect(await one(t, ROLE)).toMatchObject({ state: "done", batches: 30, processed: 3000 });
  });

  test("exactly once: a non-idempotent migration over 5,000 users, canceled in the middle and run again", async () => {
    const t = setup({ transactionLimits: true });
    await seed(t, 5000);
    await run(t, { fn: CREDITS });
    await steps(t, 3); // 3 batches of 500
    expect(await one(t, CREDITS)).toMatchObject({ state: "running", processed: 1500, batches: 3 });

    const canceled = await t.mutation(internal.migrations.cancel, { fn: CREDITS });
    expect(canceled).toMatchObject({ state: "canceled", processed: 1500 });
    await finish(t); // the step already scheduled finds the migration canceled: its batch rolls back
    expect(await one(t, CREDITS)).toMatchObject({ state: "canceled", processed: 1500, batches: 3 });
    expect(creditsHistogram(await users(t))).toEqual({ "0": 3500, "100": 1500 });

    // Running it again continues from the saved cursor.
    await run(t, { fn: CREDITS });
    await finish(t);
    expect(creditsHistogram(await users(t))).toEqual({ "100": 5000 });
    expect(await one(t, CREDITS)).toMatchObject({ state: "done", processed: 5000, batches: 10 });
  });

  test("starting a running migration twice does not start a second copy", async () => {
    const t = setup({ transactionLimits: true });
    await seed(t, 2000);
    await run(t, { fn: CREDITS });
    await steps(t, 1);
    const [second] = (await run(t, { fn: CREDITS })) as Status[];
    expect(second).toMatchObject({ state: "running", processed: 500 });
    await run(t, { fn: CREDITS });
    await finish(t);
    expect(creditsHistogram(await users(t))).toEqual({ "100": 2000 });
    expect(await one(t, CREDITS)).toMatchObject({ state: "done", processed: 2000, batches: 4 });
  });

  test("pause stops after the current batch; resume continues from the cursor", async () => {
    const t = setup({ transactionLimits: true });
    await seed(t, 4000);
    await run(t, { fn: CREDITS });
    await steps(t, 2);
    expect(await t.mutation(internal.migrations.pause, { fn: CREDITS })).toMatchObject({ state: "paused", processed: 1000 });
    await finish(t);
    vi.advanceTimersByTime(60 * 60_000);
    await finish(t);
    expect(await one(t, CREDITS)).toMatchObject({ state: "paused", processed: 1000, batches: 2 });
    expect(creditsHistogram(await users(t))).toEqual({ "0": 3000, "100": 1000 });

    expect(await t.mutation(internal.migrations.resume, { fn: CREDITS })).toMatchObject({ state: "running" });
    await finish(t);
    expect(creditsHistogram(await users(t))).toEqual({ "100": 4000 });
    expect(await one(t, CREDITS)).toMatchObject({ state: "done", processed: 4000, batches: 8 });
  });

  test("a throwing migrateOne fails the migration after retries, naming the document; resume after a fix", async () => {
    const t = setup({ transactionLimits: true });
    await seed(t, 1500);
    const all = await users(t);
    const broken = all[737]; // in the second batch of 500
    await t.run((ctx) => ctx.db.patch(broken._id, { email: "" }));

    await run(t, { fn: CREDITS });
    await finish(t);
    const failed = await one(t, CREDITS);
    expect(failed).toMatchObject({
      state: "failed",
      processed: 500,
      batches: 1,
      attempts: 5, // the default retry policy: 5 attempts
      lastError: { kind: "migrateOne", docId: broken._id },
    });
    expect(failed.lastError!.message).toContain('user "user737" has no email');
    expect(failed.endedAt).toBeDefined();
    // The failing batch rolled back entirely: only the first batch's users have credits.
    expect(creditsHistogram(await users(t))).toEqual({ "0": 1000, "100": 500 });

    await t.run((ctx) => ctx.db.patch(broken._id, { email: "user737@example.com" }));
    await t.mutation(internal.migrations.resume, { fn: CREDITS });
    await finish(t);
    expect(creditsHistogram(await users(t))).toEqual({ "100": 1500 });
    expect(await one(t, CREDITS)).toMatchObject({ state: "done", processed: 1500, batches: 3, attempts: 0 });
  });

  test("a failing batch is retried with backoff and succeeds once the cause is gone", async () => {
    const t = setup({ transactionLimits: true });
    await seed(t, 1000);
    const broken = (await users(t))[10];
    await t.run((ctx) => ctx.db.patch(broken._id, { email: "" }));
    await run(t, { fn: CREDITS });
    await steps(t, 2); // first attempt fails, second (after backoff) fails too
    const retrying = await one(t, CREDITS);
    expect(retrying).toMatchObject({ state: "running", attempts: 2, processed: 0, lastError: { docId: broken._id } });

    await t.run((ctx) => ctx.db.patch(broken._id, { email: "fixed@example.com" }));
    await finish(t);
    expect(await one(t, CREDITS)).toMatchObject({ state: "done", processed: 1000, attempts: 0 });
    expect((await one(t, CREDITS)).lastError).toBeUndefined();
    expect(creditsHistogram(await users(t))).toEqual({ "100": 1000 });
  });

  test("a NonRetryableError from migrateOne fails the migration at once", async () => {
    const t = setup({ transactionLimits: true });
    await seed(t, 1000);
    const frozen = (await users(t))[612];
    await t.run((ctx) => ctx.db.patch(frozen._id, { credits: -5 }));
    await run(t, { fn: CREDITS });
    await finish(t);
    const s = await one(t, CREDITS);
    expect(s).toMatchObject({ state: "failed", processed: 500, attempts: 1, lastError: { kind: "migrateOne", docId: frozen._id } });
    expect(s.lastError!.message).toContain('account of "user612" is frozen');
  });

  test("migrateOne is typed by its table", () => {
    const m = new Migrations<DataModel>(components.jobs);
    // @ts-expect-error "memer" is not a role
    m.define({ table: "users", migrateOne: () => ({ role: "memer" }) });
    // @ts-expect-error users have no `value` (counters do)
    m.define({ table: "users", migrateOne: (_ctx, user) => ({ value: user.credits }) });
    expect(() => m.define({ table: "users", migrateOne: () => {}, batchSize: 0 })).toThrow(/`batchSize` must be an integer from 1/);
    expect(() => m.define({ table: "users", migrateOne: () => {}, onError: "ignore" as never })).toThrow(/`onError` must be "fail" or "skip"/);
  });

  test('onError "skip": bad documents are counted and their ids recorded', async () => {
    const t = setup({ transactionLimits: true });
    await seed(t, 2000, { badEvery: 100 });
    await run(t, { fn: EMAILS });
    await finish(t);
    const all = await users(t);
    const bad = all.filter((u) => !u.email.includes("@"));
    expect(bad).toHaveLength(20);
    expect(all.filter((u) => u.email.includes("@")).every((u) => u.email === u.email.toLowerCase())).toBe(true);
    const s = await one(t, EMAILS);
    expect(s).toMatchObject({ state: "done", processed: 2000, batches: 20, skipped: 20 });
    expect([...s.skippedIds].sort()).toEqual(bad.map((u) => u._id).sort());
  });

  test("a batch over the read limit is split and retried smaller; every document still migrated once", async () => {
    const t = setup({ transactionLimits: true });
    // 600 users of ~50 KB. A batch reads each user twice (the page, then the patch), so at most
    // 167 fit in the 16 MiB per-transaction read limit: the configured 500 must be split.
    await seed(t, 600, { bioChars: 50_000, chunk: 200 });
    await run(t, { fn: CREDITS });
    await finish(t);
    const s = await one(t, CREDITS);
    expect(s).toMatchObject({ state: "done", processed: 600, batchSize: 500 });
    expect(s.splits).toBeGreaterThanOrEqual(1);
    // Halved to 250 (fails), 125 (fits), then bisected up toward the limit without passing it.
    expect(s.currentBatchSize).toBeGreaterThanOrEqual(125);
    expect(s.currentBatchSize).toBeLessThanOrEqual(167);
    expect(s.splits).toBeLessThanOrEqual(6);
    expect(creditsHistogram(await users(t))).toEqual({ "100": 600 });
    console.log(`limit split: ${s.batches} batches, ${s.splits} splits, final size ${s.currentBatchSize}`);
  });

  test("dryRun reports one batch's changes and writes nothing", async () => {
    const t = setup({ transactionLimits: true });
    await seed(t, 300, { migratedEvery: 3 });
    const report = (await run(t, { fn: ROLE, dryRun: true })) as any;
    expect(report).toMatchObject({ name: ROLE, table: "users", cursor: null, batchSize: 100, documents: 100, changed: 66, isDone: false });
    expect(report.samples).toHaveLength(10);
    expect(report.samples[0].before.role).toBeUndefined();
    expect(report.samples[0].after.role).toBe("member");
    expect((await users(t)).filter((u) => u.role === "member")).toHaveLength(0);
    expect(await status(t, [ROLE])).toEqual([]);
  });

  test("runSerially: later migrations wait as pending, then run in order", async () => {
    const t = setup({ transactionLimits: true });
    await seed(t, 1200, { migratedEvery: 2 });
    const started = (await run(t, { fns: [ROLE, CREDITS, EMAILS] })) as Status[];
    expect(started.map((s) => [s.name, s.state])).toEqual([
      [ROLE, "running"],
      [CREDITS, "pending"],
      [EMAILS, "pending"],
    ]);
    expect(started[0].next).toEqual([CREDITS, EMAILS]);
    expect(started[1].waitingOn).toBe(ROLE);
    await finish(t);
    const after = await status(t, [ROLE, CREDITS, EMAILS]);
    expect(after.map((s) => [s.state, s.processed])).toEqual([
      ["done", 1200],
      ["done", 1200],
      ["done", 1200],
    ]);
    // The role migration finished before the credits one started.
    expect(after[0].endedAt).toBeLessThanOrEqual(after[1].startedAt!);
    expect(creditsHistogram(await users(t))).toEqual({ "100": 1200 });

    // A series whose members are done is a no-op.
    await run(t, { fns: [ROLE, CREDITS, EMAILS] });
    await finish(t);
    expect(creditsHistogram(await users(t))).toEqual({ "100": 1200 });
  });

  test("bad input gets a clear error", async () => {
    const t = setup();
    await expect(run(t, {})).rejects.toThrow(/pass `fn`/);
    await expect(run(t, { fn: "setDefaultRole" })).rejects.toThrow(/use "file:export"/);
    await expect(run(t, { fn: "migrations:nope" })).rejects.toThrow(/could not identify "migrations:nope" as a migration/);
    await expect(run(t, { fn: "counters:doIncrement" })).rejects.toThrow();
  });
});
