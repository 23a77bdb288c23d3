/** Debounce on enqueue (issue #8, section 5), through the Workpool client. Its bad input: ./dedupe.test.ts. */
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { internal } from "./app/_generated/api.js";
import { live, resetLive } from "./app/fns.js";
import { doneCallbacks, pool, setup, startsOf } from "./setup.js";
import { installClock, type Clock } from "../src/test.js";
import type { DedupedEnqueue, JobId } from "../src/client/index.js";

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
  resetLive();
});
afterEach(() => clock.uninstall());

describe("debounce", () => {
  test("trailing edge: runs delayMs after the latest enqueue, once, with the latest args and onComplete", async () => {
    const t = setup();
    const p = pool();
    const t0 = Date.now();
    const debounce = { key: "reindex:doc1", delayMs: 1500, maxWaitMs: 10_000 };
    const results: DedupedEnqueue[] = [];
    for (const v of [1, 2, 3]) {
      results.push(
        await t.run((ctx) =>
          p.enqueueAction(ctx, internal.fns.flaky, { key: `ix${v}`, failures: 0 }, { debounce, onComplete: internal.fns.done, context: v }),
        ),
      );
      if (v < 3) await clock.advance(1000);
    }
    expect(results.map((r) => r.deduped)).toEqual([false, true, true]);
    expect(new Set(results.map((r) => r.jobId)).size).toBe(1);
    expect(await t.run((ctx) => p.status(ctx, results[0].jobId))).toMatchObject({
      state: "pending",
      readyAt: t0 + 3500,
      dedupe: { key: "reindex:doc1", mode: "debounce" },
    });
    await clock.advance(1400); // 1.4 s after the last enqueue: not yet
    expect(live.started).toEqual([]);
    await clock.drain();
    expect(live.started).toHaveLength(1);
    const [start] = startsOf("ix3", t0);
    expect(start).toBeGreaterThanOrEqual(3500);
    expect(start).toBeLessThan(3600);
    expect(await doneCallbacks(t)).toEqual([[results[0].jobId, 3]]);
    expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ pending: 0, succeeded: 1 });
  });

  test("a steady stream still runs by maxWaitMs after the burst's first enqueue", async () => {
    const t = setup();
    const p = pool();
    const t0 = Date.now();
    const debounce = { key: "feed", delayMs: 1000, maxWaitMs: 3000 };
    // An enqueue every 500 ms for 10 s: never 1 s quiet.
    const ids: JobId[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push((await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: `feed-${i}` }, { debounce }))).jobId);
      await clock.advance(500);
    }
    await clock.drain();
    // Each burst runs by maxWaitMs; a running (or finished) job absorbs nothing, so a new burst starts.
    const jobs = [...new Set(ids)];
    expect(jobs.length).toBeGreaterThanOrEqual(3);
    expect(jobs.length).toBeLessThanOrEqual(4);
    expect(live.started).toHaveLength(jobs.length);
    // The first burst began at t0 and ran at t0 + 3 s, with the args enqueued last before then.
    expect(live.started[0]).toBe("feed-5");
    const first = await t.run((ctx) => p.status(ctx, jobs[0]));
    expect(first?.state === "finished" && first.finishedAt - t0).toBeGreaterThanOrEqual(3000);
    expect(first?.state === "finished" && first.finishedAt - t0).toBeLessThan(3100);
    expect(live.started.at(-1)).toBe("feed-19"); // the trailing edge: the last enqueue runs too
  });

  test("with a concurrency key: a debounced keyed job that moves runs once, under its key", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 5, keyConcurrency: 1 });
    const t0 = Date.now();
    const debounce = { key: "digest:acme", delayMs: 1000, maxWaitMs: 5000 };
    // Ready at once (delay 0, so it has its rank), then moved by a later enqueue of the same key.
    const a = await t.run((ctx) =>
      p.enqueueAction(ctx, internal.fns.flaky, { key: "dg1", failures: 0 }, { key: "acme", debounce: { ...debounce, delayMs: 0 } }),
    );
    const b = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.flaky, { key: "dg2", failures: 0 }, { key: "acme", debounce }));
    expect(b).toEqual({ jobId: a.jobId, deduped: true });
    await clock.advance(900);
    expect(live.started).toEqual([]);
    await clock.drain();
    expect(live.started).toHaveLength(1);
    const [start] = startsOf("dg2", t0);
    expect(start).toBeGreaterThanOrEqual(1000);
    expect(start).toBeLessThan(1100);
    expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ pending: 0, running: 0, succeeded: 1 });
  });

  test("a debounced job that is running absorbs nothing: a new burst starts", async () => {
    const t = setup();
    const p = pool();
    const debounce = { key: "d", delayMs: 100, maxWaitMs: 1000 };
    const a = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "d1", ms: 2000 }, { debounce }));
    await clock.advance(500);
    expect(live.started).toEqual(["d1"]);
    const b = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "d2", ms: 10 }, { debounce }));
    expect(b.deduped).toBe(false);
    expect(b.jobId).not.toBe(a.jobId);
    // Debounce and dedupe keys do not mix.
    const c = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "d3", ms: 10 }, { dedupe: { key: "d" } }));
    expect(c.deduped).toBe(false);
    await clock.drain();
    expect(live.started.sort()).toEqual(["d1", "d2", "d3"]);
  });

  test("in one mutation, a debounced enqueue does not hold back a plain enqueue that follows it", async () => {
    const t = setup();
    const p = pool();
    await t.run(async (ctx) => {
      await p.enqueueMutation(ctx, internal.fns.write, { key: "later" }, { debounce: { key: "b", delayMs: 60_000, maxWaitMs: 60_000 } });
      await p.enqueueMutation(ctx, internal.fns.write, { key: "now" });
    });
    await clock.advance(100);
    expect(live.started).toEqual(["now"]);
    await clock.drain();
    expect(live.started).toEqual(["now", "later"]);
  });
});
