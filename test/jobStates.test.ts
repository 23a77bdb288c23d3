/**
 * The job document as a union told apart by `state` (vJobIn in src/component/pool/tables.ts):
 * every shape an earlier version stored still validates and reads back right, and a document in
 * an impossible state is refused by the schema (convex-test checks every insert and patch against
 * it, as a deployment does).
 */
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createFunctionHandle, makeFunctionReference } from "convex/server";
import { internal } from "./app/_generated/api.js";
import { resetLive } from "./app/fns.js";
import { pool, setup } from "./setup.js";
import { installClock, type Clock } from "../src/test.js";

type T = ReturnType<typeof setup>;
const inComponent = <R>(t: T, fn: (ctx: any) => Promise<R>): Promise<R> =>
  (t as unknown as { runInComponent: (path: string, f: typeof fn) => Promise<R> }).runInComponent("jobs", fn);
const dispatch = makeFunctionReference<"mutation">("pool/dispatch:dispatch");

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
  resetLive();
});
afterEach(() => clock.uninstall());

/** A pool, a scheduled run to stand for a worker, and a job's fields every state has (0.1's). */
async function fixture(t: T) {
  const fnHandle = await t.run(() => createFunctionHandle(internal.fns.write));
  return await inComponent(t, async (ctx) => {
    const poolId = await ctx.db.insert("pools", { name: "test", maxParallelism: 3, retentionMs: 60_000, logLevel: "WARN" });
    const workerId = await ctx.scheduler.runAfter(3_600_000, dispatch, { pool: poolId });
    const now = Date.now();
    const base = { pool: poolId, kind: "mutation" as const, fnHandle, fnName: "fns:write", args: { key: "k" }, readyAt: now, attempt: 1 };
    return { poolId, workerId, now, base };
  });
}

describe("documents stored by earlier versions", () => {
  test("each state's shape as 0.1 and 0.2 write it is valid and reads back as its state", async () => {
    const t = setup();
    const { poolId, workerId, now, base } = await fixture(t);
    const lastError = { message: "boom" };
    const ended = { finishedAt: now, expiresAt: now + 60_000, startedAt: now - 10 };
    const ids = await inComponent(t, async (ctx) => {
      const insert = (doc: object) => ctx.db.insert("jobs", { ...base, ...doc });
      return {
        fresh: await insert({ state: "pending", attempt: 0 }),
        // Back in line after a failed attempt: 0.1 kept that attempt's start.
        retrying: await insert({ state: "pending", readyAt: now + 500, startedAt: now - 10, lastError }),
        running: await insert({ state: "running", workerId, startedAt: now - 10, dedupeKey: "dedupe:a", dedupeMode: "reject" }),
        // Cancel hit it while its action ran, and the onComplete run then threw.
        cancelRequested: await insert({ state: "running", kind: "action", workerId, startedAt: now - 10, cancelRequested: true, callbackError: "cb" }),
        succeeded: await insert({ state: "succeeded", result: { kind: "success", returnValue: 7 }, ...ended, dedupeMode: "reject" }),
        failed: await insert({ state: "failed", result: { kind: "failed", error: "boom" }, lastError, ...ended, callbackError: "cb" }),
        canceledPending: await insert({ state: "canceled", attempt: 0, result: { kind: "canceled" }, finishedAt: now, expiresAt: now + 60_000 }),
        canceledRunning: await insert({ state: "canceled", kind: "action", result: { kind: "canceled" }, ...ended, cancelRequested: true, callbackError: "cb" }),
      };
    });
    const p = pool({ retentionMs: 60_000 });
    const order = [ids.fresh, ids.retrying, ids.running, ids.cancelRequested, ids.succeeded, ids.failed, ids.canceledPending, ids.canceledRunning];
    const statuses = await t.run((ctx) => p.statusBatch(ctx, order as never));
    expect(statuses.map((s) => (s?.state === "finished" ? `finished:${s.result.kind}` : s?.state))).toEqual([
      "pending",
      "pending",
      "running",
      "running",
      "finished:success",
      "finished:failed",
      "finished:canceled",
      "finished:canceled",
    ]);
    expect(statuses[2]).toMatchObject({ startedAt: now - 10, dedupe: { key: "a", mode: "reject" } });
    expect(statuses[3]).toMatchObject({ cancelRequested: true });
    expect(statuses[5]).toMatchObject({ finishedAt: now, callbackError: "cb", result: { kind: "failed", error: "boom" } });
    // The finished ones are what the expiry index holds, and cleanup takes them.
    const expiring = await inComponent<{ _id: string }[]>(t, (ctx) =>
      ctx.db.query("jobs").withIndex("by_pool_expiry", (q: any) => q.eq("pool", poolId).gt("expiresAt", 0)).collect(),
    );
    expect(expiring.map((j) => j._id).sort()).toEqual(
      [ids.succeeded, ids.failed, ids.canceledPending, ids.canceledRunning].sort(),
    );
    for (const id of [ids.succeeded, ids.canceledRunning]) expect(await t.run((ctx) => p.cleanup(ctx, id as never))).toBe(true);
    expect(await t.run((ctx) => p.cleanup(ctx, ids.running as never))).toBe(false);
  });
});

describe("an impossible state", () => {
  const impossible: [string, (ctx: { workerId: string; now: number }) => object][] = [
    ["running without its worker", ({ now }) => ({ state: "running", startedAt: now })],
    ["running without its start time", ({ workerId }) => ({ state: "running", workerId })],
    ["running with a result", ({ workerId, now }) => ({ state: "running", workerId, startedAt: now, result: { kind: "canceled" } })],
    ["pending with a worker", ({ workerId }) => ({ state: "pending", workerId })],
    ["pending with a result", () => ({ state: "pending", result: { kind: "success", returnValue: 1 } })],
    ["pending with an expiry", ({ now }) => ({ state: "pending", expiresAt: now })],
    ["pending with cancelRequested", () => ({ state: "pending", cancelRequested: true })],
    ["succeeded without a result", ({ now }) => ({ state: "succeeded", finishedAt: now, expiresAt: now })],
    ["succeeded without an expiry", ({ now }) => ({ state: "succeeded", result: { kind: "success", returnValue: 1 }, finishedAt: now })],
    ["succeeded with a failure", ({ now }) => ({ state: "succeeded", result: { kind: "failed", error: "x" }, finishedAt: now, expiresAt: now })],
    ["failed with a success", ({ now }) => ({ state: "failed", result: { kind: "success", returnValue: 1 }, finishedAt: now, expiresAt: now })],
    ["canceled with a failure", ({ now }) => ({ state: "canceled", result: { kind: "failed", error: "x" }, finishedAt: now, expiresAt: now })],
    ["failed still holding its worker", ({ workerId, now }) => ({ state: "failed", result: { kind: "failed", error: "x" }, finishedAt: now, expiresAt: now, workerId })],
    ["canceled still holding its dedupe key", ({ now }) => ({ state: "canceled", result: { kind: "canceled" }, finishedAt: now, expiresAt: now, dedupeKey: "dedupe:a" })],
  ];
  test.each(impossible)("%s is refused by the schema", async (_name, shape) => {
    const t = setup();
    const { workerId, now, base } = await fixture(t);
    await expect(inComponent(t, (ctx) => ctx.db.insert("jobs", { ...base, ...shape({ workerId, now }) }))).rejects.toThrow(/Validator error/);
  });

  test("a patch that would leave a job in one is refused too", async () => {
    const t = setup();
    const { workerId, now, base } = await fixture(t);
    const id = await inComponent(t, (ctx) => ctx.db.insert("jobs", { ...base, state: "running", workerId, startedAt: now }));
    // Finished without saying how: no result, no expiry.
    await expect(inComponent(t, (ctx) => ctx.db.patch(id, { state: "succeeded" }))).rejects.toThrow(/Validator error/);
    // Back to pending while keeping its worker.
    await expect(inComponent(t, (ctx) => ctx.db.patch(id, { state: "pending" }))).rejects.toThrow(/Validator error/);
    expect(await inComponent(t, (ctx) => ctx.db.get(id))).toMatchObject({ state: "running", workerId });
  });
});
