/** Demo section 1: two work pools, watched live, with their caps checked. */
import type { FunctionReference } from "convex/server";
import { runUntil } from "../lib/clock.js";
import { getTally, observe, summarize } from "../lib/metrics.js";
import { onFunction } from "../lib/modules.js";
import { ProgressBlock, bar } from "../lib/progress.js";
import { api, type Counts } from "./common.js";
import type { Section } from "./index.js";

/** A pool the work-pools section watches. */
interface WatchedPool {
  label: string;
  cap: number;
  total: number;
  statsFn: FunctionReference<"query">;
  /** The job function's name in the counts (module:function), to see it execute. */
  jobFn: string;
  last: Counts;
  /** Most slots the dispatcher held at once (stats.running, sampled after every event). */
  peakSlots: number;
  /** Most job functions executing at the same moment (instrumented). */
  executing: number;
  peakExecuting: number;
}

const COUNTER_INCREMENTS = 200;
const ITEMS = 150;
const ITEMS_PER_CALL = 50;

export const workPools: Section = {
  title: "Work pools: a serialized counter (maxParallelism 1) and a fan-out over items (maxParallelism 5)",
  async run({ t, clock }) {
    const pools: WatchedPool[] = [
      pool("counter", 1, COUNTER_INCREMENTS, api.counters.stats, "app:counters:doIncrement"),
      pool("items", 5, ITEMS, api.fanout.stats, "app:fanout:processItem"),
    ];
    onFunction((name, event) => {
      for (const p of pools) {
        if (name !== p.jobFn) continue;
        p.executing += event === "enter" ? 1 : -1;
        p.peakExecuting = Math.max(p.peakExecuting, p.executing);
      }
    });

    const start = clock.now();
    // Every 10th item is negative: processItem throws for those, so they finish as failed.
    const inputs = Array.from({ length: ITEMS }, (_, i) => (i % 10 === 9 ? -(i + 1) : i + 1));
    for (let i = 0; i < ITEMS; i += ITEMS_PER_CALL) {
      await t.mutation(api.fanout.processItems, { batch: "demo", inputs: inputs.slice(i, i + ITEMS_PER_CALL) });
    }
    for (let i = 0; i < COUNTER_INCREMENTS; i++) await t.mutation(api.counters.increment, {});
    console.log(
      `  enqueued ${COUNTER_INCREMENTS} counter increments (one mutation job each) and ${ITEMS} items (one action job each, ~50 ms)\n`,
    );

    const progress = new ProgressBlock();
    const sample = async () => {
      for (const p of pools) {
        p.last = await observe(() => t.query(p.statsFn, {}));
        p.peakSlots = Math.max(p.peakSlots, p.last.running);
      }
    };
    const draw = (force = false) => progress.update(pools.map((p) => progressLine(p, clock.now() - start)), clock.now() - start, force);
    const elapsed = await runUntil(clock, {
      onStep: async () => {
        await sample();
        draw();
      },
      done: async () => pools.every((p) => finished(p.last) >= p.total),
    });
    draw(true);

    for (const p of pools) {
      const peak = Math.max(p.peakSlots, p.peakExecuting);
      if (peak > p.cap) throw new Error(`pool "${p.label}" ran ${peak} jobs at once; its cap is ${p.cap}.`);
    }
    const counter = await observe(() => t.query(api.counters.get, {}));
    const items: { status: string }[] = await observe(() => t.query(api.fanout.items, { batch: "demo" }));
    const calls = summarize(getTally());
    console.log(`
  counter value      ${counter} (expected ${COUNTER_INCREMENTS}: increments ran one at a time, none lost)
  items              ${items.filter((i) => i.status === "done").length} done, ${items.filter((i) => i.status === "failed").length} failed (the negative inputs; recorded by onComplete)
  peak parallelism   counter ${pools[0].peakSlots}/1, items ${pools[1].peakSlots}/5 (never above the cap)
  simulated time     ${(elapsed / 1000).toFixed(2)} s
  function calls     ${calls.calls} (${calls.transactions} transactions + ${calls.actionRuns} action runs) for ${COUNTER_INCREMENTS + ITEMS} jobs`);
  },
};

function pool(label: string, cap: number, total: number, statsFn: FunctionReference<"query">, jobFn: string): WatchedPool {
  const last = { pending: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };
  return { label, cap, total, statsFn, jobFn, last, peakSlots: 0, executing: 0, peakExecuting: 0 };
}

function finished(c: Counts): number {
  return c.succeeded + c.failed + c.canceled;
}

function progressLine(p: WatchedPool, simMs: number): string {
  const c = p.last;
  const num = (n: number, w = 4) => String(n).padStart(w);
  return (
    `  ${p.label.padEnd(8)} [${bar(finished(c), p.total)}] pending ${num(c.pending)}  running ${num(c.running, 2)}` +
    `  done ${num(c.succeeded)}  failed ${num(c.failed, 3)}  peak ${p.peakSlots}/${p.cap}  t=${(simMs / 1000).toFixed(2)}s`
  );
}
