/**
 * The bench app: the job functions the benchmark runs and the app mutations that enqueue them,
 * through the `Workpool` client exactly as an app would (batches of up to 1,000 per call).
 *
 * The app is never deployed: bench/run.ts registers the component in convex-test itself, so there
 * is no convex.config.ts here, and `components` is typed by hand below (what codegen would emit).
 */
import { componentsGeneric } from "convex/server";
import { v, type Infer } from "convex/values";
import type { ComponentApi } from "../../src/component/_generated/component.js";
import { Workpool } from "../../src/client/index.js";
import { internal } from "./_generated/api.js";
import { internalAction, internalMutation, mutation, query, type MutationCtx } from "./_generated/server.js";

const components = componentsGeneric() as unknown as { jobs: ComponentApi<"jobs"> };

/** One pool per cap the workloads use; a real app also declares its pools at module level. */
const pools = {
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
const vPoolName = v.union(v.literal("serial"), v.literal("p10"), v.literal("p50"), v.literal("retry10"));

/** Attempts made per flaky job (by its number), in this process. */
const attempts = new Map<number, number>();

/** The mutation job: writes one document. */
export const writeRow = internalMutation({
  args: { n: v.number() },
  returns: v.null(),
  handler: async (ctx, { n }) => {
    await ctx.db.insert("rows", { n });
    return null;
  },
});

/** The action job: sleeps `ms` (simulated) milliseconds. */
export const sleep = internalAction({
  args: { ms: v.number() },
  returns: v.null(),
  handler: async (_ctx, { ms }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return null;
  },
});

/** The flaky action job: sleeps `ms`, then fails its first `failFirst` attempts. */
export const flakySleep = internalAction({
  args: { n: v.number(), ms: v.number(), failFirst: v.number() },
  returns: v.null(),
  handler: async (_ctx, { n, ms, failFirst }) => {
    const attempt = (attempts.get(n) ?? 0) + 1;
    attempts.set(n, attempt);
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (attempt <= failFirst) throw new Error(`job ${n}: attempt ${attempt} failed`);
    return null;
  },
});

/** Enqueues `count` flakySleep jobs numbered from `from`, each retried per the pool's policy. */
export const enqueueFlaky = mutation({
  args: { pool: vPoolName, from: v.number(), count: v.number(), ms: v.number(), failFirst: v.number() },
  returns: v.number(),
  handler: async (ctx, { pool, from, count, ms, failFirst }): Promise<number> => {
    const args = Array.from({ length: count }, (_, i) => ({ n: from + i, ms, failFirst }));
    const ids: string[] = await pools[pool].enqueueActionBatch(ctx, internal.work.flakySleep, args, { retry: true });
    return ids.length;
  },
});

/** Enqueues `count` writeRow jobs numbered from `from`, in one transaction. */
export const enqueueWrites = mutation({
  args: { pool: vPoolName, from: v.number(), count: v.number() },
  returns: v.number(),
  handler: async (ctx, { pool, from, count }): Promise<number> => {
    const args = Array.from({ length: count }, (_, i) => ({ n: from + i }));
    const ids: string[] = await pools[pool].enqueueMutationBatch(ctx, internal.work.writeRow, args);
    return ids.length;
  },
});

/** Enqueues `count` sleep jobs of `ms` each, in one transaction. */
export const enqueueSleeps = mutation({
  args: { pool: vPoolName, count: v.number(), ms: v.number() },
  returns: v.number(),
  handler: async (ctx, { pool, count, ms }): Promise<number> => {
    const args = Array.from({ length: count }, () => ({ ms }));
    const ids: string[] = await pools[pool].enqueueActionBatch(ctx, internal.work.sleep, args);
    return ids.length;
  },
});

const vStream = {
  pool: vPoolName,
  kind: v.union(v.literal("mutation"), v.literal("action")),
  /** Jobs enqueued so far, and in all. */
  from: v.number(),
  total: v.number(),
  perTick: v.number(),
  everyMs: v.number(),
  /** Action jobs: how long each sleeps. */
  ms: v.number(),
};
type Stream = Infer<ReturnType<typeof v.object<typeof vStream>>>;

/** One producer tick: enqueues the next `perTick` jobs and, if more remain, schedules the next tick. */
async function produceTick(ctx: MutationCtx, a: Stream): Promise<null> {
  const count = Math.min(a.perTick, a.total - a.from);
  if (a.kind === "mutation") {
    const args = Array.from({ length: count }, (_, i) => ({ n: a.from + i }));
    await pools[a.pool].enqueueMutationBatch(ctx, internal.work.writeRow, args);
  } else {
    await pools[a.pool].enqueueActionBatch(ctx, internal.work.sleep, Array.from({ length: count }, () => ({ ms: a.ms })));
  }
  if (a.from + count < a.total) await ctx.scheduler.runAfter(a.everyMs, internal.work.produce, { ...a, from: a.from + count });
  return null;
}

/**
 * Streamed workloads: a producer that keeps enqueueing while the pool works, as an app's own
 * scheduled mutation would (so its enqueues can overlap the pool's transactions).
 */
export const startStream = mutation({ args: vStream, returns: v.null(), handler: produceTick });
export const produce = internalMutation({ args: vStream, returns: v.null(), handler: produceTick });

/** A pool's counts; the benchmark polls it (uncounted) to know when a workload is done. */
export const stats = query({
  args: { pool: vPoolName },
  handler: (ctx, { pool }) => pools[pool].stats(ctx),
});
