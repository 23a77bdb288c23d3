/**
 * The bench app's functions, defined once for every implementation: each bench app
 * (bench/convex/work.ts, bench/official/work.ts) passes the few calls that differ, made through
 * its own clients exactly as an app would, and exports what this returns. So both apps have the
 * same function names and arguments, and the harness (bench/measure.ts) drives either.
 */
import { makeFunctionReference, type FunctionArgs } from "convex/server";
import { v } from "convex/values";
import { mutation, query, type MutationCtx, type QueryCtx } from "./convex/_generated/server.js";
import type { PoolName } from "./workloads.js";

const vPoolName = v.union(v.literal("serial"), v.literal("p10"), v.literal("p50"), v.literal("retry10"));

// The jobs of bench/convex/jobs.ts (re-exported by every bench app), typed here rather than
// through the generated `internal`, whose type includes the apps' own modules built from this one.
const jobs = {
  writeRow: makeFunctionReference<"mutation", { n: number }, null>("jobs:writeRow"),
  actionJob: makeFunctionReference<"action", { n: number; ms: number; failFirst?: number }, null>("jobs:actionJob"),
};
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

/** The app mutations that enqueue the workloads' jobs, and the query the harness polls. */
export function defineBenchApp(clients: BenchClients) {
  return {
    /** Enqueues `count` writeRow jobs numbered from `from`, in one transaction. */
    enqueueWrites: mutation({
      args: { pool: vPoolName, from: v.number(), count: v.number() },
      returns: v.array(v.string()),
      handler: (ctx, { pool, from, count }) =>
        clients.enqueueMutations(ctx, pool, jobs.writeRow, range(from, count).map((n) => ({ n }))),
    }),

    /** Enqueues `count` actionJob jobs numbered from `from`; retried if they are made to fail. */
    enqueueActions: mutation({
      args: { pool: vPoolName, from: v.number(), count: v.number(), ms: v.number(), failFirst: v.number() },
      returns: v.array(v.string()),
      handler: (ctx, { pool, from, count, ms, failFirst }) => {
        const args = range(from, count).map((n) => ({ n, ms, failFirst }));
        return clients.enqueueActions(ctx, pool, jobs.actionJob, args, failFirst > 0);
      },
    }),

    /** Starts `count` actionJob runs numbered from `from` with the standalone retrier. */
    startRuns: mutation({
      args: { from: v.number(), count: v.number(), ms: v.number(), failFirst: v.number() },
      returns: v.array(v.string()),
      handler: async (ctx, { from, count, ms, failFirst }) => {
        const ids: string[] = [];
        for (const n of range(from, count)) ids.push(await clients.startRun(ctx, jobs.actionJob, { n, ms, failFirst }));
        return ids;
      },
    }),

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
