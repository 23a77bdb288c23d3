/**
 * The flow-control workloads of our bench app (ours only: the official components have no
 * priorities, concurrency keys, rate limits or dedupe). The jobs do what bench/convex/jobs.ts's do
 * (a mutation job inserts one row; an action job waits, then runs writeRow), and also record each
 * start and end in process memory (bench/jobState.ts), which costs no reads or writes, for the
 * fairness, cap and rate checks (bench/flowTargets.ts).
 */
import { v } from "convex/values";
import { Workpool, type JobId } from "../../src/client/index.js";
import { recordAttempt, recordEnd, recordStart, recordSuccess } from "../jobState.js";
import { FLOW_POOLS, type FlowPoolName } from "../workloads.js";
import { internal } from "./_generated/api.js";
import { internalAction, internalMutation, mutation, query, type MutationCtx } from "./_generated/server.js";
import { components, pools } from "./work.js";

/** The flow pools of bench/workloads.ts; "p10" is work.ts's own plain pool, shared. */
const flowPools: Record<FlowPoolName, Workpool> = {
  p10: pools.p10,
  keys2: new Workpool(components.jobs, { name: "keys2", ...FLOW_POOLS.keys2 }),
  rate10: new Workpool(components.jobs, { name: "rate10", ...FLOW_POOLS.rate10 }),
  p10rate: new Workpool(components.jobs, { name: "p10rate", ...FLOW_POOLS.p10rate }),
};
const vFlowPool = v.union(...(Object.keys(FLOW_POOLS) as FlowPoolName[]).map((p) => v.literal(p)));

/** A flow mutation job: writes one row, like writeRow, and records its start. */
export const flowRow = internalMutation({
  args: { n: v.number(), key: v.optional(v.string()) },
  returns: v.null(),
  handler: async (ctx, { n, key }) => {
    recordStart(n, key ?? null, Date.now());
    try {
      await ctx.db.insert("rows", { n });
    } finally {
      recordEnd(key ?? null);
    }
    return null;
  },
});

/** A flow action job: waits `ms`, then runs writeRow, like actionJob; records its start and end. */
export const flowAction = internalAction({
  args: { n: v.number(), ms: v.number(), key: v.optional(v.string()) },
  returns: v.null(),
  handler: async (ctx, { n, ms, key }) => {
    recordAttempt(n);
    recordStart(n, key ?? null, Date.now());
    try {
      await new Promise((resolve) => setTimeout(resolve, ms));
      await ctx.runMutation(internal.jobs.writeRow, { n });
      recordSuccess(n);
    } finally {
      recordEnd(key ?? null);
    }
    return null;
  },
});

const vGroup = v.object({ from: v.number(), count: v.number(), key: v.optional(v.string()) });

/** Enqueues one group of jobs (one enqueue call, or one per job with dedupe). */
async function enqueueGroup(
  ctx: MutationCtx,
  pool: Workpool,
  kind: "mutation" | "action",
  g: { from: number; count: number; key?: string },
  extra: { ms: number; priority?: "high"; dedupeKey?: string },
): Promise<string[]> {
  const ns = Array.from({ length: g.count }, (_, i) => g.from + i);
  const options = { key: g.key, priority: extra.priority };
  if (extra.dedupeKey !== undefined) {
    // Typed loosely: the `dedupe` option exists only once that branch lands (bench/capabilities.ts).
    const dedupe = { ...options, dedupe: { key: extra.dedupeKey, mode: "reject" } } as object;
    const ids: string[] = [];
    for (const _ of ns) {
      const r = (await pool.enqueueMutation(ctx, internal.flow.flowRow, { n: 0 }, dedupe)) as unknown as JobId | { jobId: JobId };
      ids.push(typeof r === "string" ? r : r.jobId);
    }
    return ids;
  }
  if (kind === "mutation") return pool.enqueueMutationBatch(ctx, internal.flow.flowRow, ns.map((n) => ({ n, key: g.key })), options);
  return pool.enqueueActionBatch(ctx, internal.flow.flowAction, ns.map((n) => ({ n, ms: extra.ms, key: g.key })), options);
}

/** Enqueues groups of flow jobs in one transaction (the harness sends at most 500 jobs per call). */
export const enqueueFlow = mutation({
  args: {
    pool: vFlowPool,
    kind: v.union(v.literal("mutation"), v.literal("action")),
    groups: v.array(vGroup),
    ms: v.number(),
    priority: v.optional(v.literal("high")),
    dedupeKey: v.optional(v.string()),
  },
  returns: v.array(v.string()),
  handler: async (ctx, { pool, kind, groups, ...extra }) => {
    const ids: string[] = [];
    for (const g of groups) ids.push(...(await enqueueGroup(ctx, flowPools[pool], kind, g, extra)));
    return ids;
  },
});

/** How many of `ids`, from the first, have finished (the harness polls it, uncounted). */
export const finishedFlow = query({
  args: { pool: vFlowPool, ids: v.array(v.string()) },
  returns: v.number(),
  handler: async (ctx, { pool, ids }) => {
    for (const [i, id] of ids.entries()) {
      const status = await flowPools[pool].status(ctx, id as JobId);
      if (status !== null && status.state !== "finished") return i;
    }
    return ids.length;
  },
});
