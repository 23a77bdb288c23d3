/**
 * The benchmark's OCC conflict model (scripts/lib/conflicts.ts) on a tiny app: transactions that
 * could have overlapped in production are checked against each other's reads and writes.
 */
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { convexTest } from "convex-test";
import { api } from "./conflicts-app/_generated/api.js";
import schema from "./conflicts-app/schema.js";
import { installClock, type Clock } from "../src/test.js";
import { conflictReport, installConflictModel, resetConflicts } from "../scripts/lib/conflicts.js";

const modules = import.meta.glob("./conflicts-app/**/*.ts");
await Promise.all(Object.values(modules).map((load) => load()));
installConflictModel();

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
});
afterEach(() => clock.uninstall());

type Call = { fn: string; args: Record<string, unknown>; afterMs: number };

/** A fresh app with one item (group "a", n = 1); returns it and its id, counting from here. */
async function app() {
  const t = convexTest({ schema, modules });
  const id = await t.mutation(api.fns.insert, { group: "a", n: 1 });
  resetConflicts();
  return { t, id };
}

/** Schedules `calls` from one mutation and runs them all. */
async function run(t: ReturnType<typeof convexTest>, calls: Call[]) {
  await t.mutation(api.fns.scheduleAll, { calls });
  await clock.drain();
  return conflictReport(1);
}

const pairs = (r: ReturnType<typeof conflictReport>) => r.byPair.map(({ victim, writer, table, index, conflicts }) => ({ victim, writer, table, index, conflicts }));

describe("conflict model", () => {
  test("two overlapping writers of one document: the later one conflicts, by id", async () => {
    const { t, id } = await app();
    const r = await run(t, [
      { fn: "bump", args: { id }, afterMs: 100 },
      { fn: "bump", args: { id }, afterMs: 100 },
    ]);
    expect(pairs(r)).toEqual([{ victim: "app:fns:bump", writer: "app:fns:bump", table: "items", index: "by id", conflicts: 1 }]);
    expect(r.byVictim.find((v) => v.fn === "app:fns:bump")).toMatchObject({ transactions: 2, conflicted: 1, runsUserCode: true });
  });

  test("an insert into a range another transaction scanned to its end conflicts it", async () => {
    const { t } = await app();
    const r = await run(t, [
      { fn: "insert", args: { group: "a", n: 5 }, afterMs: 100 },
      { fn: "scan", args: { group: "a", take: 10 }, afterMs: 100 },
    ]);
    expect(pairs(r)).toEqual([{ victim: "app:fns:scan", writer: "app:fns:insert", table: "items", index: "by_group", conflicts: 1 }]);
  });

  test("a take(1) scan read only up to its first key: inserts past it do not conflict, before it do", async () => {
    const { t } = await app();
    const past = await run(t, [
      { fn: "insert", args: { group: "a", n: 5 }, afterMs: 100 },
      { fn: "scan", args: { group: "a", take: 1 }, afterMs: 100 },
    ]);
    expect(past.conflicted).toBe(0);
    expect(past.transactions).toBe(3); // scheduleAll, insert, scan

    resetConflicts();
    const before = await run(t, [
      { fn: "insert", args: { group: "a", n: 0 }, afterMs: 100 },
      { fn: "scan", args: { group: "a", take: 1 }, afterMs: 100 },
    ]);
    expect(pairs(before)).toEqual([{ victim: "app:fns:scan", writer: "app:fns:insert", table: "items", index: "by_group", conflicts: 1 }]);
  });

  test("a page read covers its cursor to the end of the page, no more", async () => {
    const { t } = await app();
    await t.mutation(api.fns.insert, { group: "a", n: 3 });
    const cursor: string = await t.mutation(api.fns.page, { group: "a", cursor: null, numItems: 1 }); // after n = 1
    resetConflicts();
    const outside = await run(t, [
      { fn: "insert", args: { group: "a", n: 0 }, afterMs: 100 }, // before the cursor
      { fn: "insert", args: { group: "a", n: 9 }, afterMs: 100 }, // past the page (n = 3)
      { fn: "page", args: { group: "a", cursor, numItems: 1 }, afterMs: 100 },
    ]);
    expect(outside.conflicted).toBe(0);
    resetConflicts();
    const inside = await run(t, [
      { fn: "insert", args: { group: "a", n: 2 }, afterMs: 100 },
      { fn: "page", args: { group: "a", cursor, numItems: 1 }, afterMs: 100 },
    ]);
    expect(pairs(inside)).toEqual([{ victim: "app:fns:page", writer: "app:fns:insert", table: "items", index: "by_group", conflicts: 1 }]);
  });

  test("canceling a scheduled run writes its _scheduled_functions row: a reader of it conflicts", async () => {
    const { t } = await app();
    const [runId] = await t.mutation(api.fns.scheduleAll, { calls: [{ fn: "insert", args: { group: "b", n: 1 }, afterMs: 60_000 }] });
    resetConflicts();
    const r = await run(t, [
      { fn: "cancelRun", args: { runId }, afterMs: 100 },
      { fn: "readRun", args: { runId }, afterMs: 100 },
    ]);
    expect(pairs(r)).toEqual([{ victim: "app:fns:readRun", writer: "app:fns:cancelRun", table: "_scheduled_functions", index: "by id", conflicts: 1 }]);
  });

  test("a nested query's reads count, unless it runs on a stale snapshot", async () => {
    const { t } = await app();
    const nested = await run(t, [
      { fn: "insert", args: { group: "a", n: 5 }, afterMs: 100 },
      { fn: "scanNested", args: { group: "a", stale: false }, afterMs: 100 },
    ]);
    expect(pairs(nested)).toEqual([{ victim: "app:fns:scanNested", writer: "app:fns:insert", table: "items", index: "by_group", conflicts: 1 }]);

    resetConflicts();
    const stale = await run(t, [
      { fn: "insert", args: { group: "a", n: 6 }, afterMs: 100 },
      { fn: "scanNested", args: { group: "a", stale: true }, afterMs: 100 },
    ]);
    expect(stale.conflicted).toBe(0);
  });

  test("transactions that could not have overlapped never conflict", async () => {
    const { t, id } = await app();
    // Scheduled apart in time.
    const apart = await run(t, [
      { fn: "insert", args: { group: "a", n: 5 }, afterMs: 100 },
      { fn: "scan", args: { group: "a", take: 10 }, afterMs: 200 },
      { fn: "bump", args: { id }, afterMs: 300 },
      { fn: "bump", args: { id }, afterMs: 400 },
    ]);
    expect(apart.conflicted).toBe(0);
    expect(apart.transactions).toBe(5);
    // Called one after the other by the test.
    resetConflicts();
    await t.mutation(api.fns.bump, { id });
    await t.mutation(api.fns.bump, { id });
    await t.mutation(api.fns.insert, { group: "a", n: 7 });
    await t.mutation(api.fns.scan, { group: "a", take: 10 });
    expect(conflictReport(1)).toMatchObject({ transactions: 4, conflicted: 0 });
  });

  test("a transaction never conflicts with the one that scheduled it, or an action's with its previous call", async () => {
    const { t, id } = await app();
    expect((await run(t, [{ fn: "bumpAndFollow", args: { id }, afterMs: 100 }])).conflicted).toBe(0);
    resetConflicts();
    await t.action(api.fns.bumpTwice, { id, together: false });
    expect(conflictReport(1)).toMatchObject({ transactions: 2, conflicted: 0 });
    resetConflicts();
    await t.action(api.fns.bumpTwice, { id, together: true });
    expect(conflictReport(1)).toMatchObject({ transactions: 2, conflicted: 1 });
  });

  test("calls the test makes together overlap; the order the lock gives them decides the victim", async () => {
    const { t, id } = await app();
    await Promise.all([t.mutation(api.fns.bump, { id }), t.mutation(api.fns.bump, { id })]);
    expect(pairs(conflictReport(1))).toEqual([{ victim: "app:fns:bump", writer: "app:fns:bump", table: "items", index: "by id", conflicts: 1 }]);
  });
});
