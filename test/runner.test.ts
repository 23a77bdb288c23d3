/**
 * Action jobs run in batch runners (src/component/pool/runner.ts): one scheduled action per
 * dispatch batch. These tests pin what users must not notice about that sharing: a canceled job
 * never starts while its batch-mates do, and a runner that dies loses nothing its jobs reported.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import * as runner from "../src/component/pool/runner";
import { internal } from "./app/_generated/api.js";
import { live, resetLive } from "./app/fns.js";
import { pool, setup } from "./setup.js";
import { installClock, type Clock } from "../src/test.js";

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
  resetLive();
});
afterEach(() => clock.uninstall());

describe("action runners", () => {
  test("a job canceled before its batch's runner starts never runs; its batch-mates do", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 3 });
    const [a, b, c] = await t.run((ctx) =>
      p.enqueueActionBatch(ctx, internal.fns.work, ["a", "b", "c"].map((key) => ({ key, ms: 100 })), {
        onComplete: internal.fns.done,
      }),
    );
    // Run the dispatcher (due now) but not the runner it schedules (1 ms later).
    await clock.advance(0);
    expect(await t.run((ctx) => p.status(ctx, b))).toMatchObject({ state: "running" });
    expect(live.started).toEqual([]);
    expect(await t.run((ctx) => p.cancel(ctx, b))).toBe(true);
    await clock.drain();
    expect(live.started.sort()).toEqual(["a", "c"]);
    const statuses = await t.run((ctx) => p.statusBatch(ctx, [a, b, c]));
    expect(statuses.map((s) => (s?.state === "finished" ? s.result.kind : s?.state))).toEqual(["success", "canceled", "success"]);
    expect(await t.run((ctx) => p.stats(ctx))).toEqual({ pending: 0, running: 0, succeeded: 2, failed: 0, canceled: 1 });
  });

  test("a runner that dies mid-batch: reported outcomes stand, the rest fail by the watchdog and retry", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 3, retry: { maxAttempts: 2, initialBackoffMs: 10, jitter: "none" } });
    const ids = await t.run((ctx) =>
      p.enqueueActionBatch(
        ctx,
        internal.fns.flaky,
        [
          { key: "fast1", failures: 0, ms: 10 },
          { key: "fast2", failures: 0, ms: 10 },
          { key: "slow", failures: 0, ms: 60_000 },
        ],
        { retry: true, onComplete: internal.fns.done },
      ),
    );
    // The runner is killed (a deploy) 1 s in: after the fast jobs reported, while `slow` runs.
    const fn = runner.runActions as unknown as { _handler: (...a: unknown[]) => Promise<unknown> };
    const real = fn._handler;
    fn._handler = async (...args: unknown[]) => {
      fn._handler = real;
      void real(...args).catch(() => {});
      await new Promise((r) => setTimeout(r, 1_000));
      throw new Error("simulated: the runner was killed by a deploy");
    };
    // The death and the watchdog's verdict are logged; both are expected here.
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const warnings = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      await clock.advance(2_000);
    } finally {
      fn._handler = real;
    }
    const early = await t.run((ctx) => p.statusBatch(ctx, ids));
    expect(early.map((s) => s?.state)).toEqual(["finished", "finished", "running"]);
    await clock.drain();
    expect(errors.mock.calls.flat().join(" ")).toMatch(/killed by a deploy/);
    expect(warnings.mock.calls.flat().join(" ")).toMatch(/ended without reporting \(failed\)/);
    errors.mockRestore();
    warnings.mockRestore();
    const statuses = await t.run((ctx) => p.statusBatch(ctx, ids));
    expect(statuses.map((s) => (s?.state === "finished" ? [s.result.kind, s.attempt] : s))).toEqual([
      ["success", 1],
      ["success", 1],
      ["success", 2],
    ]);
    expect(statuses[2]).toMatchObject({ lastError: { message: expect.stringMatching(/ended without completing/) } });
    const done = await t.run((ctx) => ctx.db.query("events").withIndex("by_kind", (q) => q.eq("kind", "done")).collect());
    expect(done).toHaveLength(3);
  });
});

describe("enqueue", () => {
  test("many enqueues in one mutation schedule one dispatch run, and every job still starts", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 50 });
    const delayed = await t.run(async (ctx) => {
      for (let i = 0; i < 300; i++) await p.enqueueAction(ctx, internal.fns.work, { key: `many-${i}`, ms: 10 });
      // A job due sooner than what earlier enqueues covered still gets its own run; later ones don't.
      return await p.enqueueAction(ctx, internal.fns.work, { key: "later", ms: 10 }, { runAfter: 5_000 });
    });
    const inComponent = (t as unknown as { runInComponent: <T>(path: string, f: (ctx: any) => Promise<T>) => Promise<T> }).runInComponent;
    const scheduled = (await inComponent.call(t, "jobs", (ctx) => ctx.db.system.query("_scheduled_functions").collect())) as any[];
    expect(scheduled.filter((s: any) => s.name.includes("dispatch"))).toHaveLength(1);
    await clock.drain();
    expect(live.started.filter((k) => k.startsWith("many-"))).toHaveLength(300);
    expect(await t.run((ctx) => p.status(ctx, delayed))).toMatchObject({ state: "finished" });
  });
});
