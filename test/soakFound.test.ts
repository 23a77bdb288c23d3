/**
 * Violations the fault simulation (test/soak.test.ts) found, each pinned by a focused test named
 * after the seed that found it.
 */
import { afterEach, beforeEach, describe, expect, test } from "vitest";
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

describe("found by the soak", () => {
  test("seed 13: canceling a running job whose run never started frees its slot at once, even in a full pool", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1 });
    const [a, b] = await t.run((ctx) =>
      p.enqueueActionBatch(ctx, internal.fns.work, [{ key: "a", ms: 100 }, { key: "b", ms: 100 }]),
    );
    // The dispatcher starts `a` (the pool is now full); its runner is due 1 ms later.
    await clock.advance(0);
    expect(await t.run((ctx) => p.status(ctx, a))).toMatchObject({ state: "running" });
    expect(await t.run((ctx) => p.cancel(ctx, a))).toBe(true);
    // Before the fix, the full pool counted on a completion to wake the dispatcher; the cancel
    // was that completion but asked only "if not covered", so `b` waited for the 30 s watchdog.
    await clock.advance(1_000);
    expect(live.started).toEqual(["b"]);
    expect(await t.run((ctx) => p.status(ctx, b))).toMatchObject({ state: "finished" });
    expect(await t.run((ctx) => p.stats(ctx))).toEqual({ pending: 0, running: 0, succeeded: 1, failed: 0, canceled: 1 });
  });
});
