/**
 * The bench app for the official components, @convex-dev/workpool and @convex-dev/action-retrier:
 * the same functions as bench/convex/work.ts (defined once, in bench/benchApp.ts), through their
 * own clients exactly as their READMEs show. Each official pool is a component instance of its
 * own (their README: different pools need different instances in convex.config.ts), mounted as
 * "serial", "p10", "p50" and "retry10", each with its @convex-dev/batch-worker child; the retrier
 * is mounted as "retrier". The harness registers them in convex-test (bench/measure.ts).
 *
 * Backoff: 1 s, then 2 s, as in our app. Neither official component can turn jitter off: both
 * multiply each delay by a random factor in [0.5, 1.5). The harness seeds Math.random, so runs
 * are still deterministic.
 */
import { componentsGeneric } from "convex/server";
import { ActionRetrier } from "@convex-dev/action-retrier";
import { Workpool, type WorkId, type WorkpoolComponent } from "@convex-dev/workpool";
import { defineBenchApp } from "../benchApp.js";

type RetrierComponent = ConstructorParameters<typeof ActionRetrier>[0];
type RunId = Parameters<ActionRetrier["status"]>[1];
const components = componentsGeneric() as unknown as {
  serial: WorkpoolComponent;
  p10: WorkpoolComponent;
  p50: WorkpoolComponent;
  retry10: WorkpoolComponent;
  retrier: RetrierComponent;
};

/** Their pools: maxParallelism is an option of the client, sent with every enqueue. */
const pools = {
  serial: new Workpool(components.serial, { maxParallelism: 1 }),
  p10: new Workpool(components.p10, { maxParallelism: 10 }),
  p50: new Workpool(components.p50, { maxParallelism: 50 }),
  /** Their backoff is initialBackoffMs x base^(attempt - 1): 1 s, then 2 s (jittered). */
  retry10: new Workpool(components.retry10, {
    maxParallelism: 10,
    defaultRetryBehavior: { maxAttempts: 5, initialBackoffMs: 1_000, base: 2 },
  }),
};
/** Their retrier's backoff is initialBackoffMs x base^failures: 1 s, then 2 s (jittered). */
const retrier = new ActionRetrier(components.retrier, { initialBackoffMs: 500, base: 2, maxFailures: 4 });

export const { enqueueWrites, enqueueActions, startRuns, startStream, produce, finishedPrefix } = defineBenchApp({
  enqueueMutations: (ctx, pool, fn, args) => pools[pool].enqueueMutationBatch(ctx, fn, args),
  enqueueActions: (ctx, pool, fn, args, retry) => pools[pool].enqueueActionBatch(ctx, fn, args, { retry }),
  startRun: (ctx, fn, args) => retrier.run(ctx, fn, args),
  isFinished: async (ctx, pool, id) =>
    pool === "retrier"
      ? (await retrier.status(ctx, id as RunId)).type === "completed"
      : (await pools[pool].status(ctx, id as WorkId)).state === "finished",
});
