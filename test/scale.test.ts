import { afterEach, beforeEach, expect, test } from "vitest";
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

// More queued jobs than one transaction may read: any transaction that scanned the queue would
// fail. Convex's limit is 32,000 documents; convex-test's queries get slower as tables grow, so
// the limit is lowered to 2,000 here and the queue is 3,300 jobs: the same argument, 10x faster.
// (`npm run bench` runs 20,000 jobs under the real limits.)
test("a queue longer than the read limit: dispatch, stats and cancelAll stay bounded", async () => {
  const t = setup({ transactionLimits: { documentsRead: 2000 } });
  const p = pool({ maxParallelism: 10 });
  const later = Date.now() + 3600_000;
  for (let i = 0; i < 33; i++) {
    await t.run((ctx) =>
      p.enqueueMutationBatch(ctx, internal.fns.write, Array.from({ length: 100 }, (_, j) => ({ key: `d${i}-${j}` })), {
        runAt: later,
      }),
    );
  }
  await t.run((ctx) =>
    p.enqueueMutationBatch(ctx, internal.fns.write, Array.from({ length: 50 }, (_, j) => ({ key: `now${j}` }))),
  );
  await clock.advance(1000);
  expect(live.started).toHaveLength(50);
  expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ pending: 3_300, running: 0, succeeded: 50 });
  await t.run((ctx) => p.cancelAll(ctx));
  await clock.advance(60_000);
  expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ pending: 0, canceled: 3_300 });
  await clock.advance(3600_000);
  expect(live.started).toHaveLength(50);
}, 300_000);

// Flow control with many distinct keys: each dispatch run folds a bounded batch of key news and
// reads keys in line order, never all of them (issue: reads stay bounded with 100,000 keys; here
// 3,000 keys, 3,000 jobs and 3,000 tallies (one per enqueue call) under a read limit of 4,000
// documents per transaction: a run reads up to 500 tallies twice, a batch of key news and, per
// free slot, a key and its first jobs).
test("thousands of distinct keys: every run stays under the read limit, every job runs once, idle keys leave no state", async () => {
  const t = setup({ transactionLimits: { documentsRead: 4000 } });
  const p = pool({ maxParallelism: 50, keyConcurrency: 1 });
  for (let i = 0; i < 3; i++) {
    await t.run(async (ctx) => {
      for (let j = 0; j < 1000; j += 250) {
        for (let k = j; k < j + 250; k++) await p.enqueueMutation(ctx, internal.fns.write, { key: `u${i}_${k}-0` }, { key: `u${i}_${k}` });
      }
    });
  }
  await clock.drain();
  expect(live.started).toHaveLength(3000);
  expect(new Set(live.started).size).toBe(3000);
  expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ pending: 0, running: 0, succeeded: 3000 });
  expect(await t.run((ctx) => p.keyStats(ctx, "u0_0"))).toBeNull();
  expect(await t.run((ctx) => p.inspect(ctx))).toMatchObject({ pending: 0, running: 0 });
}, 300_000);
