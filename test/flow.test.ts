/** Flow control through the Workpool client: priority, keys, rate limits, pause, RateLimitedError. */
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { internal } from "./app/_generated/api.js";
import { live, resetLive } from "./app/fns.js";
import { pool, setup } from "./setup.js";
import { installClock, type Clock } from "../src/test.js";
import { conformsToBucket } from "./soak/flowModel.js";

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
  resetLive();
});
afterEach(() => clock.uninstall());

describe("priority", () => {
  test("a boost moves a job by that much time, no further: later high jobs do not overtake", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1 });
    await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "blocker", ms: 300_000 }));
    await clock.advance(1_000);
    await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "low", ms: 1 }, { priority: "low" }));
    for (let i = 1; i <= 20; i++) {
      await clock.advance(10_000);
      await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: `high${i * 10}`, ms: 1 }, { priority: "high" }));
    }
    await clock.drain();
    // "low" became ready at 1 s and sorts at 61 s; high job i became ready at 1 + 10i s and sorts
    // at 10i - 59 s: those ready less than 120 s (their boost + low's) after "low" overtake it.
    const lowAt = live.started.indexOf("low");
    const overtook = live.started.slice(1, lowAt);
    expect(overtook).toEqual(Array.from({ length: 11 }, (_, i) => `high${(i + 1) * 10}`));
    expect(live.started.slice(lowAt + 1)).toEqual(Array.from({ length: 9 }, (_, i) => `high${(i + 12) * 10}`));
  });

  test("named levels order equal-time jobs; FIFO among equals; no priority sits in the middle", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1 });
    await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "blocker", ms: 1_000 }));
    await clock.advance(10);
    await t.run(async (ctx) => {
      await p.enqueueAction(ctx, internal.fns.work, { key: "lowest", ms: 1 }, { priority: "lowest" });
      await p.enqueueAction(ctx, internal.fns.work, { key: "none1", ms: 1 });
      await p.enqueueAction(ctx, internal.fns.work, { key: "high1", ms: 1 }, { priority: "high" });
      await p.enqueueAction(ctx, internal.fns.work, { key: "none2", ms: 1 }, { priority: "normal" });
      await p.enqueueAction(ctx, internal.fns.work, { key: "boost", ms: 1 }, { priority: { boostMs: 90_000 } });
      await p.enqueueAction(ctx, internal.fns.work, { key: "high2", ms: 1 }, { priority: "high" });
      await p.enqueueAction(ctx, internal.fns.work, { key: "low", ms: 1 }, { priority: "low" });
    });
    await clock.drain();
    expect(live.started).toEqual(["blocker", "boost", "high1", "high2", "none1", "none2", "low", "lowest"]);
  });

  test("a delayed job takes its priority when it is due; a retry keeps it", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1 });
    await t.run(async (ctx) => {
      await p.enqueueAction(ctx, internal.fns.work, { key: "blocker", ms: 10_000 });
      await p.enqueueAction(ctx, internal.fns.work, { key: "plain", ms: 1 });
      await p.enqueueAction(ctx, internal.fns.work, { key: "later-high", ms: 1 }, { runAfter: 2_000, priority: "high" });
    });
    await clock.drain();
    expect(live.started).toEqual(["blocker", "later-high", "plain"]);
  });

  test("bad priorities are refused naming the option", async () => {
    const t = setup();
    const p = pool();
    await expect(t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "x", ms: 1 }, { priority: "urgent" as never }))).rejects.toThrow(
      /`priority` must be one of "highest", "high", "normal", "low", "lowest" or \{ boostMs \}/,
    );
    await expect(t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "x", ms: 1 }, { priority: { boostMs: 700_000 } }))).rejects.toThrow(
      /boostMs from -600000 to 600000/,
    );
  });
});

describe("concurrency keys", () => {
  test("per-key cap holds under the pool cap; a big key does not hold up the others' first jobs", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 10, keyConcurrency: 2 });
    await t.run((ctx) =>
      p.enqueueActionBatch(ctx, internal.fns.work, Array.from({ length: 200 }, (_, i) => ({ key: `big-${i}`, ms: 100 })), { key: "big" }),
    );
    for (let n = 0; n < 20; n++) {
      await t.run((ctx) =>
        p.enqueueActionBatch(ctx, internal.fns.work, Array.from({ length: 3 }, (_, i) => ({ key: `t${n}-${i}`, ms: 100 })), { key: `t${n}` }),
      );
    }
    await clock.drain();
    expect(live.started).toHaveLength(260);
    expect(live.peakBy.get("big")).toBe(2);
    for (let n = 0; n < 20; n++) expect(live.peakBy.get(`t${n}`)).toBeLessThanOrEqual(2);
    expect(live.peak).toBe(10);
    // Every tenant's first job starts before any tenant's second, and before big's third.
    const firsts = Array.from({ length: 20 }, (_, n) => live.started.indexOf(`t${n}-0`));
    const seconds = Array.from({ length: 20 }, (_, n) => live.started.indexOf(`t${n}-1`));
    expect(Math.max(...firsts)).toBeLessThan(Math.min(...seconds));
    expect(Math.max(...firsts)).toBeLessThan(live.started.indexOf("big-2"));
    // Idle keys leave no state behind.
    expect(await t.run((ctx) => p.keyStats(ctx, "big"))).toBeNull();
  });

  test("no head-of-line blocking: 1,000 jobs of one key ahead do not delay another key", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 5 });
    await t.run((ctx) =>
      p.enqueueMutationBatch(ctx, internal.fns.write, Array.from({ length: 1000 }, (_, i) => ({ key: `a-${i}` })), { key: "a" }),
    );
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "b-0" }, { key: "b" }));
    await clock.advance(50);
    // Key a runs one at a time (default keyConcurrency 1); b started at once, next to it.
    expect(live.started.indexOf("b-0")).toBeGreaterThanOrEqual(0);
    expect(live.started.indexOf("b-0")).toBeLessThan(5);
    await clock.drain();
    expect(live.started).toHaveLength(1001);
    expect(live.started.filter((k) => k.startsWith("a-"))).toEqual(Array.from({ length: 1000 }, (_, i) => `a-${i}`));
  });

  test("keyStats shows a key at its limit, its pending jobs and how long the first has waited", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 10, keyConcurrency: 1 });
    await t.run((ctx) =>
      p.enqueueActionBatch(ctx, internal.fns.work, Array.from({ length: 4 }, (_, i) => ({ key: `k-${i}`, ms: 10_000 })), { key: "k" }),
    );
    await clock.advance(3_000);
    const stats = await t.run((ctx) => p.keyStats(ctx, "k"));
    expect(stats).toMatchObject({ key: "k", running: 1, pending: 3, paused: false, limit: 1, state: "atLimit", tokens: null });
    expect(stats!.oldestWaitMs).toBeGreaterThanOrEqual(2_900);
    await clock.drain();
    expect(await t.run((ctx) => p.keyStats(ctx, "k"))).toBeNull();
  });

  test("keyStats counts a key's running jobs from the dispatcher: a key whose last job runs is at its limit", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 10 });
    await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "only", ms: 10_000 }, { key: "k" }));
    await clock.advance(1_000);
    expect(live.started).toEqual(["only"]);
    // Nothing of the key is pending any more, so its state is gone; its running job still counts.
    expect(await t.run((ctx) => p.keyStats(ctx, "k"))).toMatchObject({ key: "k", running: 1, pending: 0, limit: 1, state: "atLimit" });
    await clock.drain();
    expect(await t.run((ctx) => p.keyStats(ctx, "k"))).toBeNull();
  });

  test("cancel and cancelAll compose with keys: canceled jobs never start, the key's state is dropped", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 4, keyConcurrency: 1 });
    const ids = await t.run((ctx) =>
      p.enqueueActionBatch(ctx, internal.fns.work, Array.from({ length: 6 }, (_, i) => ({ key: `k-${i}`, ms: 1_000 })), { key: "k" }),
    );
    await clock.advance(10);
    await t.run((ctx) => p.cancel(ctx, ids[1]));
    await t.run((ctx) => p.cancel(ctx, ids[0]));
    // k-0 was running: its action cannot be stopped and holds the key's one slot until it returns.
    await clock.advance(1_100);
    expect(live.started).toEqual(["k-0", "k-2"]);
    await t.run((ctx) => p.cancelAll(ctx));
    await clock.drain();
    expect(live.started).toEqual(["k-0", "k-2"]);
    expect(await t.run((ctx) => p.keyStats(ctx, "k"))).toBeNull();
    expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ pending: 0, running: 0, canceled: 6 });
  });

  test("a raised keyConcurrency applies at the next enqueue", async () => {
    const t = setup();
    await t.run((ctx) =>
      pool({ maxParallelism: 10 }).enqueueActionBatch(ctx, internal.fns.work, Array.from({ length: 6 }, (_, i) => ({ key: `k-${i}`, ms: 1_000 })), { key: "k" }),
    );
    await clock.advance(500);
    expect(live.peakBy.get("k")).toBe(1);
    await t.run((ctx) => pool({ maxParallelism: 10, keyConcurrency: 3 }).enqueueAction(ctx, internal.fns.work, { key: "k-6", ms: 1_000 }, { key: "k" }));
    await clock.drain();
    expect(live.peakBy.get("k")).toBe(3);
  });

  test("priority orders a key's own jobs; a rate-limited keyed job comes back to its key", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 5, keyConcurrency: 1 });
    await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "u-blocker", ms: 1_000 }, { key: "u" }));
    await clock.advance(10);
    await t.run(async (ctx) => {
      await p.enqueueAction(ctx, internal.fns.work, { key: "u-low", ms: 1 }, { key: "u", priority: "low" });
      await p.enqueueAction(ctx, internal.fns.flaky, { key: "u-429", failures: 1, how: "rateLimited" }, { key: "u" });
      await p.enqueueAction(ctx, internal.fns.work, { key: "u-high", ms: 1 }, { key: "u", priority: "high" });
    });
    await clock.drain();
    expect(live.started.filter((k) => !k.includes("#"))).toEqual(["u-blocker", "u-high", "u-low"]);
    // The 429 went back in line for 5 s (after u-low, which was ready by then), then ran in its key.
    expect(live.started.filter((k) => k.startsWith("u-429")).map((k) => k.split("@")[0])).toEqual(["u-429#1", "u-429#2"]);
    expect(live.peakBy.get("u")).toBe(1);
    expect(await t.run((ctx) => p.keyStats(ctx, "u"))).toBeNull();
  });

  test("named pools keep their keys apart", async () => {
    const t = setup();
    const a = pool({ name: "a", maxParallelism: 5 });
    const b = pool({ name: "b", maxParallelism: 5 });
    await t.run(async (ctx) => {
      await a.pauseKey(ctx, "shared");
      await a.enqueueMutation(ctx, internal.fns.write, { key: "a-1" }, { key: "shared" });
      await b.enqueueMutation(ctx, internal.fns.write, { key: "b-1" }, { key: "shared" });
    });
    await clock.advance(1_000);
    expect(live.started).toEqual(["b-1"]);
    expect(await t.run((ctx) => a.keyStats(ctx, "shared"))).toMatchObject({ paused: true, pending: 1 });
    expect(await t.run((ctx) => b.keyStats(ctx, "shared"))).toBeNull();
  });

  test("bad keys and keyConcurrency are refused naming the option", async () => {
    const t = setup();
    expect(() => pool({ keyConcurrency: 0 })).toThrow(/`keyConcurrency` must be an integer from 1 to 1000/);
    await expect(t.run((ctx) => pool().enqueueAction(ctx, internal.fns.work, { key: "x", ms: 1 }, { key: "" }))).rejects.toThrow(
      /`key` must be a non-empty string/,
    );
  });
});

describe("rate limits", () => {
  test("pool bucket: starts never exceed it, none is dropped, and the dispatcher sleeps between tokens", async () => {
    const t = setup();
    const limit = { rate: 5, periodMs: 1_000 };
    const p = pool({ maxParallelism: 10, rateLimit: limit });
    await t.run((ctx) => p.enqueueMutationBatch(ctx, internal.fns.write, Array.from({ length: 30 }, (_, i) => ({ key: `r-${i}` }))));
    await clock.advance(2_000);
    const inspected = await t.run((ctx) => p.inspect(ctx));
    expect(inspected!.tokens).not.toBeNull();
    expect(inspected!.tokens!).toBeLessThan(1);
    expect(inspected!.nextEligibleAt).toBeGreaterThan(Date.now());
    await clock.drain();
    expect(live.started).toHaveLength(30);
    expect(conformsToBucket(live.startedAt, limit)).toBe(true);
    const span = Math.max(...live.startedAt) - Math.min(...live.startedAt);
    // 5 at once, then 25 more at 5 per second.
    expect(span).toBeGreaterThanOrEqual(4_900);
    expect(span).toBeLessThan(5_500);
  });

  test("every attempt takes a token, retries included", async () => {
    const t = setup();
    const limit = { rate: 1, periodMs: 2_000 };
    const p = pool({ maxParallelism: 5, rateLimit: limit });
    await t.run((ctx) =>
      p.enqueueAction(ctx, internal.fns.flaky, { key: "f", failures: 2 }, { retry: { maxAttempts: 5, initialBackoffMs: 10, jitter: "none" } }),
    );
    await clock.drain();
    const times = live.started.map((s) => Number(s.split("@")[1]));
    expect(times).toHaveLength(3);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(2_000);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(2_000);
  });

  test("per-key buckets: each key at its own rate, keys in parallel", async () => {
    const t = setup();
    const limit = { rate: 1, periodMs: 1_000 };
    const p = pool({ maxParallelism: 10, keyConcurrency: 5, keyRateLimit: limit });
    for (const k of ["a", "b"]) {
      await t.run((ctx) => p.enqueueMutationBatch(ctx, internal.fns.write, Array.from({ length: 5 }, (_, i) => ({ key: `${k}-${i}` })), { key: k }));
    }
    await clock.advance(100);
    const waiting = await t.run((ctx) => p.keyStats(ctx, "a"));
    expect(waiting).toMatchObject({ state: "rateLimited", running: 0 });
    expect(waiting!.nextEligibleAt).toBeGreaterThan(Date.now());
    await clock.drain();
    for (const k of ["a", "b"]) {
      const times = live.started.flatMap((s, i) => (s.startsWith(`${k}-`) ? [live.startedAt[i]] : []));
      expect(times).toHaveLength(5);
      expect(conformsToBucket(times, limit)).toBe(true);
    }
    const span = Math.max(...live.startedAt) - Math.min(...live.startedAt);
    expect(span).toBeLessThan(4_500);
  });

  test("RateLimitedError frees the slot and requeues the job without using an attempt", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1 });
    const id = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.flaky, { key: "api", failures: 1, how: "rateLimited" }, { retry: false }));
    await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "other", ms: 1 }));
    await clock.advance(100);
    const waiting = await t.run((ctx) => p.status(ctx, id));
    expect(waiting).toMatchObject({ state: "pending", attempt: 1, lastError: { rateLimited: true, retryAfterMs: 5_000 } });
    expect(live.started).toContain("other");
    await clock.drain();
    expect(await t.run((ctx) => p.status(ctx, id))).toMatchObject({ state: "finished", result: { kind: "success", returnValue: 2 } });
    const times = live.started.filter((s) => s.startsWith("api")).map((s) => Number(s.split("@")[1]));
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(5_000);
  });

  test("bad rate limits are refused naming the field", () => {
    expect(() => pool({ rateLimit: { rate: 0, periodMs: 1000 } })).toThrow(/`rateLimit.rate` must be a number > 0/);
    expect(() => pool({ keyRateLimit: { rate: 1, periodMs: 0.5 } })).toThrow(/`keyRateLimit.periodMs` must be an integer/);
    expect(() => pool({ rateLimit: { rate: 1, periodMs: 1000, burst: 3 } as never })).toThrow(/unknown field\(s\) burst/);
  });
});

describe("pause and resume", () => {
  test("a paused pool accepts enqueues, finishes running jobs, starts nothing; resume starts the rest", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 2 });
    await t.run((ctx) => p.enqueueActionBatch(ctx, internal.fns.work, [0, 1].map((i) => ({ key: `run-${i}`, ms: 1_000 }))));
    await clock.advance(10);
    expect(await t.run((ctx) => p.pause(ctx))).toBe(false);
    const ids = await t.run((ctx) => p.enqueueActionBatch(ctx, internal.fns.work, [0, 1, 2].map((i) => ({ key: `wait-${i}`, ms: 10 }))));
    await clock.advance(60_000);
    expect(live.started).toEqual(["run-0", "run-1"]);
    expect(await t.run((ctx) => p.stats(ctx))).toEqual({ pending: 3, running: 0, succeeded: 2, failed: 0, canceled: 0, paused: true });
    expect(await t.run((ctx) => p.status(ctx, ids[0]))).toMatchObject({ state: "pending", paused: true });
    expect(await t.run((ctx) => p.inspect(ctx))).toMatchObject({ paused: true, pending: 3, running: 0 });
    expect(await t.run((ctx) => p.resume(ctx))).toBe(true);
    await clock.drain();
    expect(live.started).toEqual(["run-0", "run-1", "wait-0", "wait-1", "wait-2"]);
    expect(await t.run((ctx) => p.stats(ctx))).toEqual({ pending: 0, running: 0, succeeded: 5, failed: 0, canceled: 0 });
  });

  test("a paused key holds only its own jobs; resumeKey lets them run", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 5 });
    await t.run((ctx) => p.pauseKey(ctx, "a"));
    const [aId] = await t.run(async (ctx) => [
      await p.enqueueMutation(ctx, internal.fns.write, { key: "a-0" }, { key: "a" }),
      await p.enqueueMutation(ctx, internal.fns.write, { key: "b-0" }, { key: "b" }),
      await p.enqueueMutation(ctx, internal.fns.write, { key: "plain" }),
    ]);
    await clock.advance(5_000);
    expect(live.started.sort()).toEqual(["b-0", "plain"]);
    expect(await t.run((ctx) => p.keyStats(ctx, "a"))).toMatchObject({ paused: true, state: "paused", pending: 1 });
    expect(await t.run((ctx) => p.status(ctx, aId))).toMatchObject({ state: "pending", key: "a", paused: true });
    await t.run((ctx) => p.resumeKey(ctx, "a"));
    await clock.drain();
    expect(live.started).toContain("a-0");
    expect(await t.run((ctx) => p.keyStats(ctx, "a"))).toBeNull();
  });
});

describe("found by the flow soak (test/flowSoak.test.ts)", () => {
  test("a key whose jobs were canceled does not hide the keys behind it", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1 });
    await t.run((ctx) => p.pause(ctx));
    const [a] = await t.run(async (ctx) => [
      await p.enqueueMutation(ctx, internal.fns.write, { key: "a-0" }, { key: "a", priority: "high" }),
      await p.enqueueMutation(ctx, internal.fns.write, { key: "z-0" }, { key: "z", priority: "low" }),
    ]);
    await clock.advance(100);
    await t.run((ctx) => p.cancel(ctx, a));
    await clock.advance(100);
    // Key a still sits first in line, with nothing left to start; the one free slot must go to z.
    await t.run((ctx) => p.resume(ctx));
    await clock.advance(1_000);
    expect(live.started).toEqual(["z-0"]);
    expect(await t.run((ctx) => p.keyStats(ctx, "a"))).toBeNull();
  });

  test("a keyed job enqueued while the pool's bucket is empty starts at the next token", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 5, rateLimit: { rate: 1, periodMs: 10_000 } });
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "a-0" }, { key: "a" }));
    await clock.advance(100);
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "b-0" }, { key: "b" }));
    await clock.advance(11_000);
    expect(live.started).toEqual(["a-0", "b-0"]);
    expect(live.startedAt[1] - live.startedAt[0]).toBeGreaterThanOrEqual(10_000);
  });

  test("a key resumed while the pool's bucket is empty starts its job at the next token", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 5, rateLimit: { rate: 1, periodMs: 10_000 } });
    await t.run((ctx) => p.pauseKey(ctx, "k"));
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "k-0" }, { key: "k" }));
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "other" }));
    await clock.advance(5_000);
    // The run that folds the resume has no token: it must come back for the key when one is due.
    await t.run((ctx) => p.resumeKey(ctx, "k"));
    await clock.advance(10_000);
    expect(live.started).toEqual(["other", "k-0"]);
    await clock.drain();
    expect(await t.run((ctx) => p.keyStats(ctx, "k"))).toBeNull();
  });

  test("a pool resumed while its bucket is empty starts its waiting job at the next token", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 5, rateLimit: { rate: 1, periodMs: 10_000 } });
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "a" }));
    await clock.advance(100);
    await t.run((ctx) => p.pause(ctx));
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "b" }));
    // Past the confirm run: while paused, no run arms a timer for the next token.
    await clock.advance(5_000);
    // The run resume brings has no token and nothing else to do: it must still arm the token's timer.
    await t.run((ctx) => p.resume(ctx));
    await clock.advance(11_000);
    expect(live.started).toEqual(["a", "b"]);
    expect(live.startedAt[1] - live.startedAt[0]).toBeGreaterThanOrEqual(10_000);
  });

  test("a key resumed into the pool's last token starts its next job at the next token", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 5, keyConcurrency: 3, rateLimit: { rate: 1, periodMs: 1_000 } });
    await t.run((ctx) => p.pauseKey(ctx, "k"));
    await t.run((ctx) => p.enqueueActionBatch(ctx, internal.fns.work, [0, 1].map((i) => ({ key: `k-${i}`, ms: 60_000 })), { key: "k" }));
    await clock.advance(5_000);
    // The resume's run reads one of k's jobs (one token) and starts it; k stays open with the
    // other, unread: the run must come back when the next token is due.
    await t.run((ctx) => p.resumeKey(ctx, "k"));
    await clock.advance(3_000);
    expect(live.started).toEqual(["k-0", "k-1"]);
    expect(live.startedAt[1] - live.startedAt[0]).toBeGreaterThanOrEqual(1_000);
  });

  test("a key with two slots freed in one run fills both, though its view read one job", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 5, keyConcurrency: 3 });
    await t.run((ctx) =>
      p.enqueueActionBatch(ctx, internal.fns.work, [{ key: "k-long", ms: 60_000 }, { key: "k-s1", ms: 100 }, { key: "k-s2", ms: 100 }], { key: "k" }),
    );
    await clock.advance(10);
    await t.run((ctx) => p.enqueueActionBatch(ctx, internal.fns.work, [0, 1].map((i) => ({ key: `k-${i}`, ms: 60_000 })), { key: "k" }));
    // k-s1 and k-s2 end together: the view, which saw k at its cap, read one job of k; the run
    // starts it and must come back for the other while k-long still runs.
    await clock.advance(3_000);
    expect(live.started).toEqual(["k-long", "k-s1", "k-s2", "k-0", "k-1"]);
    expect(live.peakBy.get("k")).toBe(3);
  });

  test("a keyed job that comes due behind its key's ready jobs waits for them, though the view did not read the key", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1 });
    await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "blocker", ms: 10_000 }));
    await clock.advance(10);
    // The pool is full: this news waits in tallies for the blocker's completion. Key a's resume
    // comes first, so that run's view (one free slot) reads a, not k.
    await t.run((ctx) => p.resumeKey(ctx, "a"));
    await t.run(async (ctx) => {
      await p.enqueueAction(ctx, internal.fns.work, { key: "k-0", ms: 10 }, { key: "k" });
      await p.enqueueAction(ctx, internal.fns.work, { key: "k-1", ms: 10 }, { key: "k", runAfter: 1_000 });
    });
    await clock.drain();
    expect(live.started).toEqual(["blocker", "k-0", "k-1"]);
  });

  test("a key whose only ready job just started is not left open: no run comes back for it", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 5, keyConcurrency: 2 });
    await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "k-0", ms: 10_000 }, { key: "k" }));
    await clock.advance(100);
    expect(live.started).toEqual(["k-0"]);
    // Under its cap with nothing else ready, k is idle. Its head used to keep the rank of k-0,
    // announced and started in the same run: k stayed "ready", and a run came back to find nothing.
    expect(await t.run((ctx) => p.keyStats(ctx, "k"))).toMatchObject({ running: 1, pending: 0, state: "idle" });
    expect(await dispatchRuns(t)).toBe(1);
    await clock.drain();
    expect(await t.run((ctx) => p.keyStats(ctx, "k"))).toBeNull();
  });

  test("pauseKey shows in keyStats and status at once, though the pool is full", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1 });
    await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "blocker", ms: 600_000 }));
    await clock.advance(10);
    const id = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "k-0", ms: 1 }, { key: "k" }));
    // The pool is full, so no enqueue schedules a run; the pause must still be folded within ms.
    await t.run((ctx) => p.pauseKey(ctx, "k"));
    await clock.advance(100);
    expect(await t.run((ctx) => p.keyStats(ctx, "k"))).toMatchObject({ paused: true, state: "paused", pending: 1, running: 0 });
    expect(await t.run((ctx) => p.status(ctx, id))).toMatchObject({ state: "pending", key: "k", paused: true });
    await t.run((ctx) => p.resumeKey(ctx, "k"));
    await clock.advance(100);
    expect(await t.run((ctx) => p.keyStats(ctx, "k"))).toMatchObject({ paused: false, state: "ready", pending: 1 });
    await clock.drain();
    expect(live.started).toEqual(["blocker", "k-0"]);
  });
});


/** How many dispatch runs have run so far (a pending one, like the watchdog's timer, does not count). */
async function dispatchRuns(t: ReturnType<typeof setup>): Promise<number> {
  const inComponent = (t as unknown as { runInComponent: <T>(path: string, f: (ctx: any) => Promise<T>) => Promise<T> }).runInComponent;
  const scheduled = (await inComponent.call(t, "jobs", (ctx) => ctx.db.system.query("_scheduled_functions").collect())) as {
    name: string;
    state: { kind: string };
  }[];
  return scheduled.filter((s) => s.name.includes("dispatch") && s.state.kind !== "pending").length;
}
