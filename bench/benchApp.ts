/**
 * The bench app's functions, defined once for every implementation: each bench app
 * (bench/convex/work.ts, bench/official/work.ts) passes the few calls that differ, made through
 * its own clients exactly as an app would, and exports what this returns. So both apps have the
 * same function names and arguments, and the harness (bench/measure.ts) drives either.
 */
import { makeFunctionReference, type FunctionArgs } from "convex/server";
import { v, type Infer } from "convex/values";
import { internalMutation, mutation, query, type MutationCtx, type QueryCtx } from "./convex/_generated/server.js";
import { recordEnqueued } from "./jobState.js";
import type { PoolName } from "./workloads.js";

const vPoolName = v.union(v.literal("serial"), v.literal("p10"), v.literal("p50"), v.literal("retry10"));

// The jobs of bench/convex/jobs.ts (re-exported by every bench app), typed here rather than
// through the generated `internal`, whose type includes the apps' own modules built from this one.
const jobs = {
  writeRow: makeFunctionReference<"mutation", { n: number }, null>("jobs:writeRow"),
  actionJob: makeFunctionReference<"action", { n: number; ms: number; failFirst?: number }, null>("jobs:actionJob"),
};
/** Both apps export `produce` (below) from work.ts. */
const produceRef = makeFunctionReference<"mutation", Stream>("work:produce");
type WriteRow = typeof jobs.writeRow;
type ActionJob = typeof jobs.actionJob;
type ArgsOf<F extends WriteRow | ActionJob> = FunctionArgs<F>;

/** What differs between implementations: how an app calls each one's client. */
export interface BenchClients {
  /** Enqueues one mutation job per args object in `pool`; returns their ids. */
  enqueueMutations(ctx: MutationCtx, pool: PoolName, fn: WriteRow, args: ArgsOf<WriteRow>[]): Promise<string[]>;
  /** Enqueues one action job per args object in `pool`, retried per the pool's policy if `retry`. */
  enqueueActions(ctx: MutationCtx, pool: PoolName, fn: ActionJob, args: ArgsOf<ActionJob>[], retry: boolean): Promise<string[]>;
  /** Starts one run of the standalone retrier; returns its id. */
  startRun(ctx: MutationCtx, fn: ActionJob, args: ArgsOf<ActionJob>): Promise<string>;
  /** Whether a job of `pool` (or a retrier run) has finished, per the client's own status. */
  isFinished(ctx: QueryCtx, pool: PoolName | "retrier", id: string): Promise<boolean>;
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** A streamed workload's producer: what to enqueue, and where it has got to. */
const vStream = v.object({
  kind: v.union(v.literal("mutation"), v.literal("action"), v.literal("retrier")),
  pool: vPoolName,
  /** The next job's number, and how many jobs in all. */
  from: v.number(),
  total: v.number(),
  /** Jobs per batch, and the simulated ms between batches, counted from `startedAt`. */
  batch: v.number(),
  everyMs: v.number(),
  startedAt: v.number(),
  ms: v.number(),
  failFirst: v.number(),
});
type Stream = Infer<typeof vStream>;

/**
 * Enqueues jobs numbered [from, from + count) of a workload's kind through `clients`, as the
 * app mutations below do; returns their ids.
 */
async function enqueueJobs(clients: BenchClients, ctx: MutationCtx, s: Omit<Stream, "total" | "batch" | "everyMs" | "startedAt">, count: number) {
  const ns = range(s.from, count);
  if (s.kind === "mutation") return clients.enqueueMutations(ctx, s.pool, jobs.writeRow, ns.map((n) => ({ n })));
  const args = ns.map((n) => ({ n, ms: s.ms, failFirst: s.failFirst }));
  if (s.kind === "action") return clients.enqueueActions(ctx, s.pool, jobs.actionJob, args, s.failFirst > 0);
  const ids: string[] = [];
  for (const a of args) ids.push(await clients.startRun(ctx, jobs.actionJob, a));
  return ids;
}

/**
 * One batch of a streamed workload: enqueues it, records the ids for the harness (in process
 * memory, so that costs no reads or writes), and schedules the next batch at its due time.
 */
async function produceBatch(clients: BenchClients, ctx: MutationCtx, s: Stream): Promise<null> {
  const count = Math.min(s.batch, s.total - s.from);
  recordEnqueued(s.from, await enqueueJobs(clients, ctx, s, count));
  const from = s.from + count;
  if (from < s.total) {
    const dueAt = s.startedAt + (from / s.batch) * s.everyMs;
    await ctx.scheduler.runAt(dueAt, produceRef, { ...s, from });
  }
  return null;
}

/** The app mutations that enqueue the workloads' jobs, and the query the harness polls. */
export function defineBenchApp(clients: BenchClients) {
  return {
    /** Enqueues `count` writeRow jobs numbered from `from`, in one transaction. */
    enqueueWrites: mutation({
      args: { pool: vPoolName, from: v.number(), count: v.number() },
      returns: v.array(v.string()),
      handler: (ctx, { pool, from, count }) => enqueueJobs(clients, ctx, { kind: "mutation", pool, from, ms: 0, failFirst: 0 }, count),
    }),

    /** Enqueues `count` actionJob jobs numbered from `from`; retried if they are made to fail. */
    enqueueActions: mutation({
      args: { pool: vPoolName, from: v.number(), count: v.number(), ms: v.number(), failFirst: v.number() },
      returns: v.array(v.string()),
      handler: (ctx, { pool, from, count, ms, failFirst }) => enqueueJobs(clients, ctx, { kind: "action", pool, from, ms, failFirst }, count),
    }),

    /** Starts `count` actionJob runs numbered from `from` with the standalone retrier. */
    startRuns: mutation({
      args: { from: v.number(), count: v.number(), ms: v.number(), failFirst: v.number() },
      returns: v.array(v.string()),
      // The retrier has no pool; "serial" is a placeholder enqueueJobs ignores for runs.
      handler: (ctx, { from, count, ms, failFirst }) => enqueueJobs(clients, ctx, { kind: "retrier", pool: "serial", from, ms, failFirst }, count),
    }),

    /**
     * Starts a streamed workload (the harness calls it once, at time 0): enqueues the first
     * batch and schedules `produce` for the next, which does the same until all are enqueued.
     * An app's own scheduled producer, so its enqueues can overlap the pool's transactions.
     */
    startStream: mutation({ args: vStream, returns: v.null(), handler: (ctx, s) => produceBatch(clients, ctx, s) }),
    /** The next batch of a streamed workload (scheduled by `startStream` and by itself). */
    produce: internalMutation({ args: vStream, returns: v.null(), handler: (ctx, s) => produceBatch(clients, ctx, s) }),

    /** How many of `ids`, from the first, have finished (jobs of `pool`, or retrier runs). */
    finishedPrefix: query({
      args: { pool: v.union(vPoolName, v.literal("retrier")), ids: v.array(v.string()) },
      returns: v.number(),
      handler: async (ctx, { pool, ids }) => {
        for (const [i, id] of ids.entries()) if (!(await clients.isFinished(ctx, pool, id))) return i;
        return ids.length;
      },
    }),
  };
}
