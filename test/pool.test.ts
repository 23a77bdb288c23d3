import { afterEach, beforeEach, describe, expect, onTestFinished, test, vi } from "vitest";
import { internal, api } from "./app/_generated/api.js";
import { live, resetLive } from "./app/fns.js";
import { pool, setup } from "./setup.js";
import { installClock, type Clock } from "../src/test.js";
import type { JobId } from "../src/client/index.js";

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
  resetLive();
});
afterEach(() => clock.uninstall());
const drain = () => clock.drain();
const advance = (ms: number) => clock.advance(ms);

describe("Workpool", () => {
  test("the cap holds while hundreds of jobs with random durations and failures run", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 7 });
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const expected = { ok: 0, failed: 0 };
    for (let batch = 0; batch < 4; batch++) {
      await t.run(async (ctx) => {
        for (let i = 0; i < 75; i++) {
          const fail = rand() < 0.2;
          expected[fail ? "failed" : "ok"]++;
          const key = `${batch}-${i}`;
          if (rand() < 0.3) {
            await p.enqueueMutation(ctx, internal.fns.write, { key, fail });
          } else {
            await p.enqueueAction(ctx, internal.fns.work, { key, ms: Math.floor(rand() * 2000), fail });
          }
        }
      });
      await advance(500);
    }
    await drain();
    expect(live.peak).toBe(7);
    expect(live.started).toHaveLength(300);
    const stats = await t.run((ctx) => p.stats(ctx));
    expect(stats).toEqual({ pending: 0, running: 0, succeeded: expected.ok, failed: expected.failed, canceled: 0 });
  });

  test("named pools in one mount are independent queues, each with its own cap", async () => {
    const t = setup();
    const a = pool({ name: "a", maxParallelism: 1 });
    const b = pool({ name: "b", maxParallelism: 4 });
    await t.run(async (ctx) => {
      await a.enqueueActionBatch(ctx, internal.fns.work, Array.from({ length: 8 }, (_, i) => ({ key: `a-${i}`, ms: 300 })));
      await b.enqueueActionBatch(ctx, internal.fns.work, Array.from({ length: 20 }, (_, i) => ({ key: `b-${i}`, ms: 300 })));
    });
    await drain();
    expect(live.peakBy.get("a")).toBe(1);
    expect(live.peakBy.get("b")).toBe(4);
    expect(await t.run((ctx) => a.stats(ctx))).toMatchObject({ succeeded: 8, pending: 0, running: 0 });
    expect(await t.run((ctx) => b.stats(ctx))).toMatchObject({ succeeded: 20, pending: 0, running: 0 });
  });

  test("query jobs in a batch; statusBatch keeps the order", async () => {
    const t = setup();
    const p = pool();
    await t.run((ctx) => p.enqueueMutationBatch(ctx, internal.fns.write, [{ key: "1" }, { key: "2" }]));
    await drain();
    const ids = await t.run((ctx) => p.enqueueQueryBatch(ctx, internal.fns.read, [{ kind: "write" }, { kind: "none" }]));
    await drain();
    const statuses = await t.run((ctx) => p.statusBatch(ctx, ids));
    expect(statuses.map((s) => (s?.state === "finished" && s.result.kind === "success" ? s.result.returnValue : s))).toEqual([2, 0]);
  });

  test("jobs start in FIFO order, mutations back to back at maxParallelism 1", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1 });
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    await t.run((ctx) => p.enqueueMutationBatch(ctx, internal.fns.write, keys.map((key) => ({ key }))));
    // Each job needs at most a couple of scheduler hops (1 simulated ms each).
    await advance(30 * 3);
    expect(live.started).toEqual(keys);
  });

  test("actions start in FIFO order across slots", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 3 });
    const keys = Array.from({ length: 12 }, (_, i) => `a${i}`);
    await t.run((ctx) => p.enqueueActionBatch(ctx, internal.fns.work, keys.map((key, i) => ({ key, ms: 100 + (i % 4) * 50 }))));
    await drain();
    expect(live.started).toEqual(keys);
    expect(live.peak).toBe(3);
  });

  test("a job enqueued by a mutation that fails does not exist", async () => {
    const t = setup();
    const p = pool();
    await expect(
      t.run(async (ctx) => {
        await p.enqueueMutation(ctx, internal.fns.write, { key: "ghost" });
        throw new Error("caller fails");
      }),
    ).rejects.toThrow("caller fails");
    await drain();
    expect(live.started).toEqual([]);
    expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ pending: 0, succeeded: 0 });
  });

  test("runAfter delays a job without holding a slot", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1 });
    const delayed = await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "late" }, { runAfter: 10_000 }));
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "now1" }));
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "now2" }));
    await advance(100);
    expect(live.started).toEqual(["now1", "now2"]);
    expect(await t.run((ctx) => p.status(ctx, delayed))).toMatchObject({ state: "pending", attempt: 0 });
    await advance(9_800);
    expect(live.started).toEqual(["now1", "now2"]);
    await advance(300);
    expect(live.started).toEqual(["now1", "now2", "late"]);
    const runAt = Date.now() + 5000;
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "at" }, { runAt }));
    await advance(4000);
    expect(live.started).not.toContain("at");
    await advance(1100);
    expect(live.started).toContain("at");
  });

  test("onComplete runs exactly once with context and result; status reports it", async () => {
    const t = setup();
    const p = pool();
    const ok = await t.run((ctx) =>
      p.enqueueMutation(ctx, internal.fns.write, { key: "abc" }, { onComplete: internal.fns.done, context: { n: 1 } }),
    );
    const bad = await t.run((ctx) =>
      p.enqueueMutation(ctx, internal.fns.write, { key: "x", fail: true }, { onComplete: internal.fns.done, context: "c2" }),
    );
    const act = await t.run((ctx) =>
      p.enqueueAction(ctx, internal.fns.work, { key: "w", ms: 10 }, { onComplete: internal.fns.done, context: [3] }),
    );
    await drain();
    const done = await t.query(api.fns.events, { kind: "done" });
    const byJob = Object.fromEntries(done.map((d: any) => [d.key, d.data]));
    expect(done).toHaveLength(3);
    expect(byJob[ok]).toEqual({ context: { n: 1 }, result: { kind: "success", returnValue: 3 } });
    expect(byJob[bad]).toEqual({
      context: "c2",
      result: { kind: "failed", error: "write x failed", data: { message: "write x failed", code: 42 } },
    });
    expect(byJob[act]).toEqual({ context: [3], result: { kind: "success", returnValue: "done w" } });
    // The failed mutation's own write was rolled back; the successful one's stands.
    expect((await t.query(api.fns.events, { kind: "write" })).map((e: any) => e.key)).toEqual(["abc"]);
    const s = await t.run((ctx) => p.status(ctx, ok));
    expect(s).toMatchObject({ state: "finished", attempt: 1, result: { kind: "success", returnValue: 3 } });
  });

  test("a throwing onComplete is recorded and does not wedge the pool", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1 });
    const first = await t.run((ctx) =>
      p.enqueueMutation(ctx, internal.fns.write, { key: "a" }, { onComplete: internal.fns.badCallback }),
    );
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "b" }));
    await drain();
    expect(live.started).toEqual(["a", "b"]);
    const s = await t.run((ctx) => p.status(ctx, first));
    expect(s).toMatchObject({ state: "finished", result: { kind: "success" }, callbackError: "callback exploded" });
    // The callback's own writes rolled back; the job's result was kept.
    expect(await t.query(api.fns.events, { kind: "bad-callback-write" })).toEqual([]);
    expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ succeeded: 2 });
  });

  test("queries run as jobs and return their value", async () => {
    const t = setup();
    const p = pool();
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "q" }));
    await drain();
    const id = await t.run((ctx) => p.enqueueQuery(ctx, internal.fns.read, { kind: "write" }));
    await drain();
    expect(await t.run((ctx) => p.status(ctx, id))).toMatchObject({ result: { kind: "success", returnValue: 1 } });
  });

  test("cancel: a pending job never starts; a running action's result is discarded", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1 });
    const opts = { onComplete: internal.fns.done };
    const running = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "r", ms: 1000 }, opts));
    const pending = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "p", ms: 10 }, opts));
    await advance(100);
    expect(await t.run((ctx) => p.status(ctx, running))).toMatchObject({ state: "running" });
    expect(await t.run((ctx) => p.cancel(ctx, pending))).toBe(true);
    expect(await t.run((ctx) => p.cancel(ctx, running))).toBe(true);
    expect(await t.run((ctx) => p.cancel(ctx, running))).toBe(false);
    await drain();
    expect(live.started).toEqual(["r"]);
    const done = await t.query(api.fns.events, { kind: "done" });
    expect(done.map((d: any) => [d.key, d.data.result.kind]).sort()).toEqual(
      [[running, "canceled"], [pending, "canceled"]].sort(),
    );
    expect(await t.run((ctx) => p.status(ctx, running))).toMatchObject({ state: "finished", result: { kind: "canceled" } });
    expect(await t.run((ctx) => p.stats(ctx))).toEqual({ pending: 0, running: 0, succeeded: 0, failed: 0, canceled: 2 });
    // The pool still works afterwards.
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "after" }));
    await drain();
    expect(live.started).toEqual(["r", "after"]);
  });

  test("cancelAll cancels everything that exists now, not later jobs", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 2 });
    await t.run((ctx) =>
      p.enqueueActionBatch(ctx, internal.fns.work, Array.from({ length: 250 }, (_, i) => ({ key: `c${i}`, ms: 500 }))),
    );
    await advance(10);
    expect(live.started).toHaveLength(2);
    await t.run((ctx) => p.cancelAll(ctx));
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "later" }));
    await drain();
    expect(live.started.filter((k) => k.startsWith("c"))).toHaveLength(2);
    expect(live.started).toContain("later");
    expect(await t.run((ctx) => p.stats(ctx))).toEqual({ pending: 0, running: 0, succeeded: 1, failed: 0, canceled: 250 });
  });

  test("a run that dies without reporting is failed by the watchdog and its slot freed", async () => {
    // The death (convex-test logs the failed scheduled run) and the watchdog's verdict are expected.
    const quiet = [vi.spyOn(console, "error").mockImplementation(() => {}), vi.spyOn(console, "warn").mockImplementation(() => {})];
    onTestFinished(() => quiet.forEach((spy) => spy.mockRestore()));
    const t = setup();
    const p = pool({ maxParallelism: 1 });
    const dies = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "big", ms: 10, die: 1 }));
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "next" }));
    await advance(1000);
    expect(live.started).toEqual(["big"]);
    await advance(31_000);
    expect(live.started).toEqual(["big", "next"]);
    const s = await t.run((ctx) => p.status(ctx, dies));
    expect(s).toMatchObject({ state: "finished", result: { kind: "failed" } });
    expect((s as any).result.error).toMatch(/ended without completing/);
  });

  test("finished jobs are kept for the retention window, then cleaned up; an idle pool schedules nothing", async () => {
    const t = setup();
    const p = pool({ retentionMs: 60_000 });
    const ids: JobId[] = await t.run((ctx) =>
      p.enqueueMutationBatch(ctx, internal.fns.write, Array.from({ length: 150 }, (_, i) => ({ key: `r${i}` }))),
    );
    await advance(1000);
    expect((await t.run((ctx) => p.statusBatch(ctx, ids))).every((s) => s?.state === "finished")).toBe(true);
    await advance(60_000);
    expect((await t.run((ctx) => p.statusBatch(ctx, ids))).every((s) => s === null)).toBe(true);
    await clock.drain(10 * 24 * 3600_000);
    expect(clock.nextTimerAt()).toBe(Infinity);
    expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ succeeded: 150, pending: 0, running: 0 });
  });

  test("canceled pending jobs are cleaned up after retention too", async () => {
    const t = setup();
    const p = pool({ retentionMs: 60_000 });
    const ids: JobId[] = await t.run((ctx) =>
      p.enqueueMutationBatch(ctx, internal.fns.write, [{ key: "x" }, { key: "y" }], { runAfter: 3600_000 }),
    );
    await t.run((ctx) => p.cancel(ctx, ids[0]));
    await advance(1000);
    expect(await t.run((ctx) => p.status(ctx, ids[0]))).toMatchObject({ state: "finished", result: { kind: "canceled" } });
    await advance(61_000);
    expect(await t.run((ctx) => p.status(ctx, ids[0]))).toBeNull();
    expect(await t.run((ctx) => p.status(ctx, ids[1]))).toMatchObject({ state: "pending" });
  });

  test("maxParallelism changed in code takes effect on the next enqueue", async () => {
    const t = setup();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const slow = pool({ name: "resize", maxParallelism: 1 });
    await t.run((ctx) =>
      slow.enqueueActionBatch(ctx, internal.fns.work, Array.from({ length: 12 }, (_, i) => ({ key: `s${i}`, ms: 1000 }))),
    );
    await advance(1500);
    expect(live.peak).toBe(1);
    const fast = pool({ name: "resize", maxParallelism: 4 });
    await t.run((ctx) => fast.enqueueAction(ctx, internal.fns.work, { key: "f", ms: 1000 }));
    expect(warn.mock.calls.some((c) => String(c.join(" ")).includes("maxParallelism=4"))).toBe(true);
    await drain();
    expect(live.peak).toBe(4);
    warn.mockRestore();
  });

  test("bad input fails at the boundary with a message naming the argument", async () => {
    expect(() => pool({ maxParallelism: 0 })).toThrow(/maxParallelism.*integer from 1 to 1000, got 0/);
    expect(() => pool({ maxParallelism: 1.5 })).toThrow(/maxParallelism/);
    expect(() => pool({ maxParallelism: 1001 })).toThrow(/maxParallelism/);
    expect(() => pool({ name: "" })).toThrow(/name/);
    expect(() => pool({ retentionMs: -1 })).toThrow(/retentionMs/);
    const t = setup();
    const p = pool();
    await expect(
      t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "a" }, { runAt: 1, runAfter: 1 })),
    ).rejects.toThrow(/either `runAt` or `runAfter`/);
    await expect(t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "a" }, { runAfter: -5 }))).rejects.toThrow(
      /runAfter/,
    );
    await expect(
      t.run((ctx) => p.enqueueMutationBatch(ctx, internal.fns.write, Array.from({ length: 1001 }, () => ({ key: "k" })))),
    ).rejects.toThrow(/limit is 1000/);
    await drain();
    expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ pending: 0 });
  });
});
