/**
 * Pools in one mount share the jobs table; a job id must only work with the pool (or retrier)
 * that made it. Another pool's id behaves like a cleaned-up one; a non-id is refused by name.
 */
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { internal } from "./app/_generated/api.js";
import { components } from "./app/_generated/api.js";
import { live, resetLive } from "./app/fns.js";
import { events, pool, setup } from "./setup.js";
import { installClock, type Clock } from "../src/test.js";
import { ActionRetrier } from "../src/client/index.js";

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
  resetLive();
});
afterEach(() => clock.uninstall());


describe("job ids are scoped to their pool", () => {
  test("pool A cannot see, cancel or clean up pool B's jobs", async () => {
    const t = setup();
    const a = pool({ name: "a" });
    const b = pool({ name: "b" });
    const [pendingB, finishedB] = await t.run(async (ctx) => [
      await b.enqueueMutation(ctx, internal.fns.write, { key: "later" }, { runAfter: 60_000, onComplete: internal.fns.done }),
      await b.enqueueMutation(ctx, internal.fns.write, { key: "now" }),
    ]);
    await clock.advance(1_000);
    expect(await t.run((ctx) => b.status(ctx, finishedB))).toMatchObject({ state: "finished" });

    expect(await t.run((ctx) => a.status(ctx, pendingB))).toBeNull();
    expect(await t.run((ctx) => a.statusBatch(ctx, [pendingB, finishedB]))).toEqual([null, null]);
    expect(await t.run((ctx) => a.cancel(ctx, pendingB))).toBe(false);
    expect(await t.run((ctx) => a.cleanup(ctx, finishedB))).toBe(false);

    // B's jobs are untouched: the pending one still runs, its onComplete hears success.
    expect(await t.run((ctx) => b.status(ctx, finishedB))).toMatchObject({ state: "finished" });
    await clock.advance(61_000);
    expect(await t.run((ctx) => b.status(ctx, pendingB))).toMatchObject({ state: "finished", result: { kind: "success" } });
    expect((await events(t, "done")).map((e) => e.data.result.kind)).toEqual(["success"]);
    expect(live.runs.get("later")).toBe(1);
    expect(await t.run((ctx) => b.stats(ctx))).toEqual({ pending: 0, running: 0, succeeded: 2, failed: 0, canceled: 0 });
    // And B's own handle still can clean up.
    expect(await t.run((ctx) => b.cleanup(ctx, finishedB))).toBe(true);
    expect(await t.run((ctx) => b.status(ctx, finishedB))).toBeNull();
  });

  test("a retrier's run ids and a pool's job ids do not mix", async () => {
    const t = setup();
    const p = pool({ name: "jobs" });
    const retrier = new ActionRetrier(components.jobs);
    const [runId, jobId] = await t.run(async (ctx) => [
      await retrier.runAfter(ctx, 60_000, internal.fns.flaky, { key: "r", failures: 0 }),
      await p.enqueueMutation(ctx, internal.fns.write, { key: "j" }, { runAfter: 60_000 }),
    ]);
    expect(await t.run((ctx) => p.status(ctx, runId))).toBeNull();
    expect(await t.run((ctx) => p.cancel(ctx, runId))).toBe(false);
    expect(await t.run((ctx) => retrier.status(ctx, jobId))).toBeNull();
    expect(await t.run((ctx) => retrier.cancel(ctx, jobId))).toBe(false);
    await clock.advance(61_000);
    expect(await t.run((ctx) => retrier.status(ctx, runId))).toMatchObject({ state: "finished", result: { kind: "success" } });
    expect(await t.run((ctx) => p.status(ctx, jobId))).toMatchObject({ state: "finished", result: { kind: "success" } });
    expect(await t.run((ctx) => retrier.cleanup(ctx, jobId))).toBe(false);
    expect(await t.run((ctx) => p.cleanup(ctx, runId))).toBe(false);
  });

  test("a string that is not a job id is refused, naming the argument; a cleaned-up id is null", async () => {
    const t = setup();
    const p = pool();
    const retrier = new ActionRetrier(components.jobs);
    await expect(t.run((ctx) => p.status(ctx, "nope" as never))).rejects.toThrow(/status: `jobId` "nope" is not a job id/);
    await expect(t.run((ctx) => p.cancel(ctx, "nope" as never))).rejects.toThrow(/cancel: `jobId` "nope" is not a job id/);
    await expect(t.run((ctx) => retrier.status(ctx, "nope" as never))).rejects.toThrow(/`runId` "nope" is not a run id/);
    const eventId = await t.run((ctx) => ctx.db.insert("events", { kind: "x", key: "y" }));
    await expect(t.run((ctx) => p.cleanup(ctx, eventId as never))).rejects.toThrow(/cleanup: `jobId` ".*" is not a job id/);
    const id = await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "k" }));
    await clock.advance(1_000);
    await expect(t.run((ctx) => p.statusBatch(ctx, [id, "bad" as never]))).rejects.toThrow(/`jobIds\[1\]` "bad" is not a job id/);
    expect(await t.run((ctx) => p.cleanup(ctx, id))).toBe(true);
    expect(await t.run((ctx) => p.status(ctx, id))).toBeNull();
    expect(await t.run((ctx) => p.cancel(ctx, id))).toBe(false);
  });
});
