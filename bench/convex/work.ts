/**
 * The bench app for convex-jobs: the workloads' jobs (./jobs.ts) enqueued through our `Workpool`
 * and `ActionRetrier` clients exactly as an app would. The functions themselves are defined once
 * for every implementation (bench/benchApp.ts); bench/official/work.ts is the same app on the
 * official components.
 *
 * The app is never deployed: the harness registers the component in convex-test itself, so there
 * is no convex.config.ts here, and `components` is typed by hand below (what codegen would emit).
 */
import { componentsGeneric } from "convex/server";
import type { ComponentApi } from "../../src/component/_generated/component.js";
import { ActionRetrier, Workpool, type JobId } from "../../src/client/index.js";
import { defineBenchApp } from "../benchApp.js";

export const components = componentsGeneric() as unknown as { jobs: ComponentApi<"jobs"> };

/** One pool per cap the workloads use; a real app also declares its pools at module level. */
export const pools = {
  serial: new Workpool(components.jobs, { name: "serial", maxParallelism: 1 }),
  p10: new Workpool(components.jobs, { name: "p10", maxParallelism: 10 }),
  p50: new Workpool(components.jobs, { name: "p50", maxParallelism: 50 }),
  /** Retries without jitter, so the benchmark is deterministic: 1 s, then 2 s. */
  retry10: new Workpool(components.jobs, {
    name: "retry10",
    maxParallelism: 10,
    retry: { maxAttempts: 5, initialBackoffMs: 1_000, base: 2, jitter: "none" },
  }),
};
/** The standalone retrier, same backoff: 1 s, then 2 s, no jitter. */
const retrier = new ActionRetrier(components.jobs, { initialBackoffMs: 1_000, base: 2, maxFailures: 4, jitter: "none" });

export const { enqueueWrites, enqueueActions, startRuns, startStream, produce, finishedPrefix } = defineBenchApp({
  enqueueMutations: (ctx, pool, fn, args) => pools[pool].enqueueMutationBatch(ctx, fn, args),
  enqueueActions: (ctx, pool, fn, args, retry) => pools[pool].enqueueActionBatch(ctx, fn, args, { retry }),
  startRun: (ctx, fn, args) => retrier.run(ctx, fn, args),
  isFinished: async (ctx, pool, id) => {
    const status = await (pool === "retrier" ? retrier : pools[pool]).status(ctx, id as JobId);
    return status === null || status.state === "finished"; // null: cleaned up after retention
  },
});
