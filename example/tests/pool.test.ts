import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api } from "../convex/_generated/api";
import { setup } from "./setup";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("example app", () => {
  test("serialized counter: every increment runs, one at a time", async () => {
    const t = setup();
    for (let i = 0; i < 20; i++) await t.mutation(api.counters.increment, {});
    await t.finishAllScheduledFunctions(vi.runAllTimers, 1000);
    expect(await t.query(api.counters.get, {})).toBe(20);
    expect(await t.query(api.counters.stats, {})).toEqual({
      pending: 0, running: 0, succeeded: 20, failed: 0, canceled: 0,
    });
  });

  test("fan-out: actions run with onComplete recording results and failures", async () => {
    const t = setup();
    const jobIds = await t.mutation(api.fanout.processItems, { batch: "b1", inputs: [1, 2, 3, -4, 5, 6, 7] });
    expect(jobIds).toHaveLength(7);
    await t.finishAllScheduledFunctions(vi.runAllTimers, 1000);
    const items = await t.query(api.fanout.items, { batch: "b1" });
    expect(items.map((i) => [i.input, i.status, i.output ?? i.error])).toEqual([
      [1, "done", 1],
      [2, "done", 4],
      [3, "done", 9],
      [-4, "failed", "cannot process negative input -4"],
      [5, "done", 25],
      [6, "done", 36],
      [7, "done", 49],
    ]);
    expect(await t.query(api.fanout.stats, {})).toMatchObject({ succeeded: 6, failed: 1, running: 0, pending: 0 });
  });

  test("a job id as an argument: cancelItem takes the id processItems returned (vJobId)", async () => {
    const t = setup();
    const jobIds = await t.mutation(api.fanout.processItems, { batch: "c1", inputs: [1, 2, 3] });
    expect(await t.mutation(api.fanout.cancelItem, { jobId: jobIds[1] })).toBe(true);
    await t.finishAllScheduledFunctions(vi.runAllTimers, 1000);
    const items = await t.query(api.fanout.items, { batch: "c1" });
    expect(items.map((i) => [i.input, i.status, i.jobId])).toEqual([
      [1, "done", jobIds[0]],
      [2, "canceled", jobIds[1]],
      [3, "done", jobIds[2]],
    ]);
    // The job finished long ago: a second cancel reports it.
    expect(await t.mutation(api.fanout.cancelItem, { jobId: jobIds[1] })).toBe(false);
  });
});
