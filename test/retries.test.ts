import { afterEach, beforeEach, describe, expect, onTestFinished, test, vi } from "vitest";
import { api, components, internal } from "./app/_generated/api.js";
import { live, resetLive } from "./app/fns.js";
import { pool, setup } from "./setup.js";
import { installClock, type Clock } from "../src/test.js";
import { ActionRetrier, backoffMs, normalizeRetryPolicy, DEFAULT_RETRY_POLICY } from "../src/client/index.js";

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
  resetLive();
});
afterEach(() => clock.uninstall());

/** Start times (simulated ms) of each attempt of `key`. */
const attemptTimes = (key: string) =>
  live.started.filter((s) => s.startsWith(`${key}#`)).map((s) => Number(s.split("@")[1]));
const gaps = (xs: number[]) => xs.slice(1).map((x, i) => x - xs[i]);
const callbacks = async (t: ReturnType<typeof setup>, jobId: string) =>
  (await t.query(api.fns.events, { kind: "done" })).filter((e: any) => e.key === jobId);

describe("backoff", () => {
  test("formula and defaults", () => {
    const p = normalizeRetryPolicy({ jitter: "none" });
    expect([1, 2, 3, 4].map((n) => backoffMs(p, n))).toEqual([250, 500, 1000, 2000]);
    const capped = normalizeRetryPolicy({ initialBackoffMs: 1000, base: 10, maxBackoffMs: 5000, jitter: "none" });
    expect([1, 2, 3].map((n) => backoffMs(capped, n))).toEqual([1000, 5000, 5000]);
    const full = normalizeRetryPolicy({});
    expect(full).toEqual(DEFAULT_RETRY_POLICY);
    expect(backoffMs(full, 3, () => 0.5)).toBe(500);
    expect(backoffMs(normalizeRetryPolicy({ jitter: "proportional" }), 1, () => 0)).toBe(125);
  });

  test("invalid policies are refused with the field named", () => {
    expect(() => normalizeRetryPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts.*got 0/);
    expect(() => normalizeRetryPolicy({ initialBackoffMs: -1 })).toThrow(/initialBackoffMs/);
    expect(() => normalizeRetryPolicy({ base: NaN })).toThrow(/base/);
    expect(() => normalizeRetryPolicy({ base: 0.5 })).toThrow(/base/);
    expect(() => normalizeRetryPolicy({ maxBackoffMs: Infinity })).toThrow(/maxBackoffMs/);
    expect(() => normalizeRetryPolicy({ jitter: "lots" as any })).toThrow(/jitter/);
    expect(() => pool({ retry: { maxAttempts: -3 } })).toThrow(/Workpool "test" retry: `maxAttempts`/);
    expect(() => new ActionRetrier(components.jobs, { maxFailures: -1 })).toThrow(/maxFailures/);
    expect(() => pool({ retryIf: { messageMatches: ["("] } })).toThrow(/messageMatches\[0\].*not a valid regular expression/);
  });
});

describe("pool retries", () => {
  test("a failing action is retried with exponential backoff until it succeeds", async () => {
    const t = setup();
    const p = pool({ retry: { maxAttempts: 4, initialBackoffMs: 1000, base: 2, jitter: "none" } });
    const id = await t.run((ctx) =>
      p.enqueueAction(ctx, internal.fns.flaky, { key: "f", failures: 2 }, { retry: true, onComplete: internal.fns.done }),
    );
    await clock.advance(500);
    const s = await t.run((ctx) => p.status(ctx, id));
    expect(s).toMatchObject({ state: "pending", attempt: 1, lastError: { message: "flaky f attempt 1" } });
    expect((s as any).readyAt - attemptTimes("f")[0]).toBeGreaterThanOrEqual(1000);
    expect((s as any).readyAt - attemptTimes("f")[0]).toBeLessThan(1010);
    await clock.drain();
    expect(gaps(attemptTimes("f")).map((g) => Math.round(g / 10) * 10)).toEqual([1000, 2000]);
    expect(await t.run((ctx) => p.status(ctx, id))).toMatchObject({
      state: "finished",
      attempt: 3,
      result: { kind: "success", returnValue: 3 },
    });
    const cb = await callbacks(t, id);
    expect(cb).toHaveLength(1);
    expect(cb[0].data.result).toEqual({ kind: "success", returnValue: 3 });
  });

  test("gives up after maxAttempts; the last error reaches onComplete once", async () => {
    const t = setup();
    const p = pool();
    const id = await t.run((ctx) =>
      p.enqueueAction(ctx, internal.fns.flaky, { key: "g", failures: 99 }, {
        retry: { maxAttempts: 3, initialBackoffMs: 100, jitter: "none" },
        onComplete: internal.fns.done,
      }),
    );
    await clock.drain();
    expect(attemptTimes("g")).toHaveLength(3);
    const cb = await callbacks(t, id);
    expect(cb.map((c: any) => c.data.result)).toEqual([{ kind: "failed", error: "flaky g attempt 3" }]);
    expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ failed: 1, succeeded: 0, pending: 0, running: 0 });
  });

  test("actions are not retried unless asked; retryActionsByDefault turns it on", async () => {
    const t = setup();
    const off = pool({ name: "off" });
    const on = pool({ name: "on", retryActionsByDefault: true, retry: { initialBackoffMs: 10 } });
    await t.run((ctx) => off.enqueueAction(ctx, internal.fns.flaky, { key: "off", failures: 1 }));
    await t.run((ctx) => on.enqueueAction(ctx, internal.fns.flaky, { key: "on", failures: 1 }));
    await t.run((ctx) => on.enqueueAction(ctx, internal.fns.flaky, { key: "on-no", failures: 1 }, { retry: false }));
    await clock.drain();
    expect(attemptTimes("off")).toHaveLength(1);
    expect(attemptTimes("on")).toHaveLength(2);
    expect(attemptTimes("on-no")).toHaveLength(1);
  });

  test("mutation jobs retry only when the job sets retry", async () => {
    const t = setup();
    const p = pool({ retryActionsByDefault: true });
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "m1", fail: true }));
    await t.run((ctx) =>
      p.enqueueMutation(ctx, internal.fns.write, { key: "m2", fail: true }, { retry: { maxAttempts: 3, initialBackoffMs: 5 } }),
    );
    await clock.drain();
    expect(live.runs.get("m1")).toBe(1);
    expect(live.runs.get("m2")).toBe(3);
  });

  test("NonRetryableError stops at once and its data reaches onComplete and status", async () => {
    const t = setup();
    const p = pool({ retry: { maxAttempts: 5, initialBackoffMs: 10 } });
    const id = await t.run((ctx) =>
      p.enqueueAction(ctx, internal.fns.flaky, { key: "n", failures: 5, how: "nonRetryable" }, {
        retry: true,
        onComplete: internal.fns.done,
      }),
    );
    await clock.drain();
    expect(attemptTimes("n")).toHaveLength(1);
    const expected = { kind: "failed", error: "permanent n", data: { status: 400 } };
    expect((await callbacks(t, id)).map((c: any) => c.data.result)).toEqual([expected]);
    expect(await t.run((ctx) => p.status(ctx, id))).toMatchObject({ result: expected, lastError: { nonRetryable: true } });
  });

  test("retryIf decides from the error's data: retry 429 and 5xx, not 400", async () => {
    const t = setup();
    const p = pool({
      retry: { maxAttempts: 3, initialBackoffMs: 10 },
      retryIf: { dataMatches: [{ status: 429 }, { status: { gte: 500, lt: 600 } }] },
    });
    for (const status of [429, 503, 400]) {
      await t.run((ctx) =>
        p.enqueueAction(ctx, internal.fns.flaky, { key: `s${status}`, failures: 1, how: "status", status }, { retry: true }),
      );
    }
    await t.run((ctx) =>
      p.enqueueAction(ctx, internal.fns.flaky, { key: "msg", failures: 1 }, {
        retry: true,
        retryIf: { messageMatches: ["^flaky"], neverIf: { messageMatches: ["attempt 2"] } },
      }),
    );
    await clock.drain();
    expect(attemptTimes("s429")).toHaveLength(2);
    expect(attemptTimes("s503")).toHaveLength(2);
    expect(attemptTimes("s400")).toHaveLength(1);
    expect(attemptTimes("msg")).toHaveLength(2);
  });

  test("RetryAfterError overrides the computed backoff for that attempt", async () => {
    const t = setup();
    const p = pool({ retry: { maxAttempts: 3, initialBackoffMs: 100, jitter: "none" } });
    await t.run((ctx) => p.enqueueAction(ctx, internal.fns.flaky, { key: "ra", failures: 1, how: "retryAfter" }, { retry: true }));
    await clock.drain();
    expect(gaps(attemptTimes("ra")).map((g) => Math.round(g / 10) * 10)).toEqual([7000]);
  });

  test("a job waiting out its backoff holds no slot and retries keep FIFO fairness", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1, retry: { maxAttempts: 2, initialBackoffMs: 500, jitter: "none" } });
    await t.run((ctx) => p.enqueueAction(ctx, internal.fns.flaky, { key: "A", failures: 1, ms: 100 }, { retry: true }));
    await t.run((ctx) =>
      p.enqueueActionBatch(ctx, internal.fns.flaky, ["B", "C", "D", "E", "F", "G", "H"].map((key) => ({ key, failures: 0, ms: 100 }))),
    );
    await clock.advance(700);
    await t.run((ctx) => p.enqueueAction(ctx, internal.fns.flaky, { key: "I", failures: 0, ms: 100 }));
    await clock.drain();
    const order = live.started.map((s) => s.split("@")[0]);
    // A fails at ~100 ms and is ready again at ~600 ms. B..H were queued before that, so they go
    // first; I was queued at 700 ms, after A's retry time, so A goes before I. A never held the slot.
    expect(order).toEqual(["A#1", "B#1", "C#1", "D#1", "E#1", "F#1", "G#1", "H#1", "A#2", "I#1"]);
  });

  test("a run that dies without reporting is retried per the policy", async () => {
    // The death (convex-test logs the failed scheduled run) and the watchdog's verdict are expected.
    const quiet = [vi.spyOn(console, "error").mockImplementation(() => {}), vi.spyOn(console, "warn").mockImplementation(() => {})];
    onTestFinished(() => quiet.forEach((spy) => spy.mockRestore()));
    const t = setup();
    const p = pool({ retry: { maxAttempts: 3, initialBackoffMs: 10 } });
    const id = await t.run((ctx) =>
      p.enqueueAction(ctx, internal.fns.flaky, { key: "dies", failures: 1, die: 1 }, { retry: true, onComplete: internal.fns.done }),
    );
    await clock.drain();
    expect(attemptTimes("dies")).toHaveLength(2);
    expect((await callbacks(t, id)).map((c: any) => c.data.result)).toEqual([{ kind: "success", returnValue: 2 }]);
    expect(await t.run((ctx) => p.status(ctx, id))).toMatchObject({
      lastError: { message: expect.stringMatching(/ended without completing/) },
    });
  });

  test("canceling a job while it waits out a backoff: no more attempts, one canceled callback", async () => {
    const t = setup();
    const p = pool({ retry: { maxAttempts: 5, initialBackoffMs: 10_000, jitter: "none" } });
    const id = await t.run((ctx) =>
      p.enqueueAction(ctx, internal.fns.flaky, { key: "cb", failures: 5 }, { retry: true, onComplete: internal.fns.done }),
    );
    await clock.advance(2000);
    expect(await t.run((ctx) => p.status(ctx, id))).toMatchObject({ state: "pending", attempt: 1 });
    expect(await t.run((ctx) => p.cancel(ctx, id))).toBe(true);
    await clock.drain();
    expect(attemptTimes("cb")).toHaveLength(1);
    expect((await callbacks(t, id)).map((c: any) => c.data.result)).toEqual([{ kind: "canceled" }]);
    expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ canceled: 1, pending: 0, running: 0 });
  });

  test("canceling a running retried action discards its result; callback once", async () => {
    const t = setup();
    const p = pool({ retry: { maxAttempts: 5, initialBackoffMs: 10 } });
    const id = await t.run((ctx) =>
      p.enqueueAction(ctx, internal.fns.flaky, { key: "cr", failures: 0, ms: 5000 }, { retry: true, onComplete: internal.fns.done }),
    );
    await clock.advance(1000);
    await t.run((ctx) => p.cancel(ctx, id));
    await clock.drain();
    expect((await callbacks(t, id)).map((c: any) => c.data.result)).toEqual([{ kind: "canceled" }]);
    expect(await t.run((ctx) => p.status(ctx, id))).toMatchObject({ state: "finished", result: { kind: "canceled" } });
  });

  test("a throwing callback after retries is recorded, not retried, and the pool moves on", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1, retry: { maxAttempts: 2, initialBackoffMs: 10 } });
    const id = await t.run((ctx) =>
      p.enqueueAction(ctx, internal.fns.flaky, { key: "x", failures: 1 }, { retry: true, onComplete: internal.fns.badCallback }),
    );
    await t.run((ctx) => p.enqueueAction(ctx, internal.fns.flaky, { key: "y", failures: 0 }));
    await clock.drain();
    expect(attemptTimes("x")).toHaveLength(2);
    expect(attemptTimes("y")).toHaveLength(1);
    expect(await t.run((ctx) => p.status(ctx, id))).toMatchObject({ result: { kind: "success" }, callbackError: "callback exploded" });
  });
});

describe("ActionRetrier", () => {
  test("run, status, onComplete, cleanup", async () => {
    const t = setup();
    const retrier = new ActionRetrier(components.jobs, { initialBackoffMs: 250, base: 2, maxFailures: 4, jitter: "none" });
    expect(retrier.policy).toEqual({ maxAttempts: 5, initialBackoffMs: 250, base: 2, maxBackoffMs: 300_000, jitter: "none" });
    const runId = await t.run((ctx) =>
      retrier.run(ctx, internal.fns.flaky, { key: "r", failures: 3 }, { onComplete: internal.fns.done, context: "weather" }),
    );
    await clock.drain();
    expect(gaps(attemptTimes("r")).map((g) => Math.round(g / 10) * 10)).toEqual([250, 500, 1000]);
    expect(await t.run((ctx) => retrier.status(ctx, runId))).toMatchObject({
      state: "finished",
      attempt: 4,
      result: { kind: "success", returnValue: 4 },
    });
    expect((await callbacks(t, runId)).map((c: any) => c.data)).toEqual([
      { context: "weather", result: { kind: "success", returnValue: 4 } },
    ]);
    expect(await t.run((ctx) => retrier.cleanup(ctx, runId))).toBe(true);
    expect(await t.run((ctx) => retrier.status(ctx, runId))).toBeNull();
  });

  test("maxFailures bounds attempts; runAfter and runWithRetries; cancel", async () => {
    const t = setup();
    const retrier = new ActionRetrier(components.jobs, { initialBackoffMs: 10, maxFailures: 1 });
    const failing = await t.run((ctx) => retrier.runWithRetries(ctx, internal.fns.flaky, { key: "mf", failures: 9 }));
    const later = await t.run((ctx) => retrier.runAfter(ctx, 60_000, internal.fns.flaky, { key: "later", failures: 0 }));
    await clock.advance(1000);
    expect(attemptTimes("mf")).toHaveLength(2);
    expect(await t.run((ctx) => retrier.status(ctx, failing))).toMatchObject({ result: { kind: "failed" } });
    expect(await t.run((ctx) => retrier.cancel(ctx, later))).toBe(true);
    await clock.drain();
    expect(attemptTimes("later")).toHaveLength(0);
    expect(await t.run((ctx) => retrier.cleanup(ctx, failing))).toBe(true);
  });

  test("300 runs start at once (not capped at 100) and each retries on its own schedule", async () => {
    const t = setup();
    const retrier = new ActionRetrier(components.jobs, { initialBackoffMs: 250, maxFailures: 2, jitter: "none" });
    const keys = Array.from({ length: 300 }, (_, i) => `many-${i}`);
    const ids = await t.run(async (ctx) => {
      const out = [];
      for (const key of keys) out.push(await retrier.run(ctx, internal.fns.flaky, { key, failures: 2, ms: 1000 }));
      return out;
    });
    await clock.drain();
    const firstTries = keys.map((k) => attemptTimes(k)[0]);
    expect(new Set(firstTries).size).toBe(1);
    for (const k of keys) expect(gaps(attemptTimes(k)).map((g) => Math.round(g / 10) * 10)).toEqual([1250, 1500]);
    const statuses = await t.run((ctx) => Promise.all(ids.map((id) => retrier.status(ctx, id))));
    expect(statuses.every((s) => s?.state === "finished" && s.result.kind === "success" && s.attempt === 3)).toBe(true);
  });

  test("a run keeps its slot through its backoff: status says pending, the next run waits its turn", async () => {
    const t = setup();
    const retrier = new ActionRetrier(components.jobs, { maxParallelism: 1, initialBackoffMs: 1000, jitter: "none" });
    const first = await t.run((ctx) => retrier.run(ctx, internal.fns.flaky, { key: "first", failures: 1, ms: 100 }));
    await t.run((ctx) => retrier.run(ctx, internal.fns.flaky, { key: "second", failures: 0, ms: 100 }));
    await clock.advance(500);
    expect(await t.run((ctx) => retrier.status(ctx, first))).toMatchObject({
      state: "pending",
      attempt: 1,
      lastError: { message: expect.stringMatching(/flaky first attempt 1/) },
    });
    expect(attemptTimes("second")).toHaveLength(0);
    await clock.drain();
    const [f1, f2] = attemptTimes("first");
    expect(f2 - f1).toBeGreaterThanOrEqual(1100);
    expect(attemptTimes("second")[0]).toBeGreaterThan(f2);
    expect(await t.run((ctx) => retrier.status(ctx, first))).toMatchObject({ state: "finished", attempt: 2 });
  });
});
