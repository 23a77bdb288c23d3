/**
 * Issue 9's behaviour bugs, each driven through the client as a user would: cancelAll's cutoff,
 * a raised cap on a busy pool, results too large to store.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "./app/_generated/api.js";
import { live, resetLive } from "./app/fns.js";
import { events, pool, setup } from "./setup.js";
import { installClock, type Clock } from "../src/test.js";

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
  resetLive();
});
afterEach(() => clock.uninstall());


describe("cancelAll", () => {
  test("covers jobs enqueued earlier in the same transaction, not those enqueued after it", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 10 });
    const { canceled, kept } = await t.run(async (ctx) => {
      const canceled = await p.enqueueMutationBatch(
        ctx,
        internal.fns.write,
        [0, 1, 2, 3, 4].map((i) => ({ key: `c${i}` })),
        { onComplete: internal.fns.done },
      );
      await p.cancelAll(ctx);
      const kept = await p.enqueueMutation(ctx, internal.fns.write, { key: "after" }, { onComplete: internal.fns.done });
      return { canceled, kept };
    });
    await clock.drain();
    expect(live.started).toEqual(["after"]);
    for (const id of canceled) {
      expect(await t.run((ctx) => p.status(ctx, id))).toMatchObject({ state: "finished", result: { kind: "canceled" } });
    }
    expect(await t.run((ctx) => p.status(ctx, kept))).toMatchObject({ state: "finished", result: { kind: "success" } });
    const done = await events(t, "done");
    expect(done.map((e) => e.data.result.kind).sort()).toEqual(["canceled", "canceled", "canceled", "canceled", "canceled", "success"]);
    expect(await t.run((ctx) => p.stats(ctx))).toEqual({ pending: 0, running: 0, succeeded: 1, failed: 0, canceled: 5 });
  });

  test("on a pool with no jobs does nothing", async () => {
    const t = setup();
    const p = pool();
    await t.run((ctx) => p.cancelAll(ctx));
    const id = await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "k" }));
    await t.run((ctx) => p.cancelAll(ctx));
    await clock.drain();
    expect(await t.run((ctx) => p.status(ctx, id))).toMatchObject({ result: { kind: "canceled" } });
  });
});

describe("a raised maxParallelism", () => {
  test("takes effect at the enqueue that raises it, on a busy pool (no wait for a completion or the watchdog)", async () => {
    const t = setup();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const slow = pool({ name: "resize", maxParallelism: 1 });
    await t.run((ctx) =>
      slow.enqueueActionBatch(ctx, internal.fns.work, Array.from({ length: 8 }, (_, i) => ({ key: `s${i}`, ms: 20_000 }))),
    );
    await clock.advance(1_000);
    expect(live.active).toBe(1);
    const fast = pool({ name: "resize", maxParallelism: 4 });
    await t.run((ctx) => fast.enqueueAction(ctx, internal.fns.work, { key: "f", ms: 20_000 }));
    await clock.advance(100);
    expect(live.active).toBe(4);
    await clock.drain();
    expect(live.peak).toBe(4);
    expect(live.started).toHaveLength(9);
    warn.mockRestore();
  });
});

describe("a result too large to store", () => {
  test("fails the attempt at once with the size and the limit; onComplete once; the slot is freed", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1 });
    const [mutationJob, actionJob, next] = await t.run(async (ctx) => [
      await p.enqueueMutation(ctx, internal.bad.bigResult, { key: "m" }, { retry: true, onComplete: internal.fns.done }),
      await p.enqueueAction(ctx, internal.fns.work, { key: "a", ms: 10, big: true }, { retry: true, onComplete: internal.fns.done }),
      await p.enqueueMutation(ctx, internal.fns.write, { key: "next" }),
    ]);
    await clock.advance(1_000); // not the 30 s watchdog
    for (const [id, kind, bytes] of [[mutationJob, "mutation", /1,228,8\d\d bytes/], [actionJob, "action", /1,126,4\d\d bytes/]] as const) {
      const s = await t.run((ctx) => p.status(ctx, id));
      expect(s).toMatchObject({ state: "finished", attempt: 1, result: { kind: "failed" } });
      const error = (s as { result: { error: string } }).result.error;
      expect(error).toMatch(new RegExp(`The ${kind}'s result is `));
      expect(error).toMatch(bytes);
      expect(error).toMatch(/over Convex's document limit of 1,048,576 bytes/);
    }
    expect(await t.run((ctx) => p.status(ctx, next))).toMatchObject({ state: "finished", result: { kind: "success" } });
    const done = await events(t, "done");
    expect(done.map((e) => [e.key, e.data.result.kind]).sort()).toEqual([[actionJob, "failed"], [mutationJob, "failed"]].sort());
    expect(await events(t, "big")).toHaveLength(1); // the mutation's own writes are kept
    expect(live.runs.get("a")).toBe(1); // not retried
    await clock.drain();
    expect(await t.run((ctx) => p.stats(ctx))).toEqual({ pending: 0, running: 0, succeeded: 1, failed: 2, canceled: 0 });
  });
});
