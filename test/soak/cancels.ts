/**
 * Cancels for the seeded simulations (./scenario.ts, ./flowScenario.ts): one random unfinished
 * job, or everything in a pool. The model marks what was canceled while unfinished, so the
 * final check expects "canceled" for exactly those.
 */
import type { TestConvex } from "convex-test";
import type { JobRecord, PoolModel, Rng, Tally } from "./model.js";

/** What a cancel needs of its scenario. */
export interface CancelCtx {
  t: TestConvex<any>;
  r: Rng;
  jobs: Map<string, JobRecord>;
  pools: PoolModel[];
  tally: Tally;
  log: (msg: string) => void;
  fail: (msg: string) => never;
}

/** Cancels a random job not yet seen final; checks that `false` means it had finished (or was canceled already). */
export async function cancelOne({ t, r, jobs, pools, tally, log, fail }: CancelCtx) {
  const open = [...jobs.values()].filter((j) => !j.final);
  if (open.length === 0) return;
  const job = r.pick(open);
  const pool = pools.find((p) => p.name === job.pool)!;
  const canceled = await t.run((ctx: any) => (pool.retrier ? pool.retrier.cancel(ctx, job.id) : pool.handles[0].cancel(ctx, job.id)));
  const status = await t.run((ctx: any) => pool.handles[0].status(ctx, job.id));
  log(`cancel ${job.key}: ${canceled}`);
  if (canceled) job.canceled = true;
  // False means finished, or canceled already (a running action whose cancel was requested).
  else if (status?.state !== "finished" && !(job.canceled && status?.state === "running" && status.cancelRequested)) {
    fail(`cancel(${job.key}) returned false but the job is ${status?.state}`);
  }
  tally.add("cancel");
}

/** cancelAll on `pool`: every job of it not finished before is marked canceled. */
export async function cancelAll({ t, jobs, tally, log }: CancelCtx, pool: PoolModel) {
  const mine = [...jobs.values()].filter((j) => j.pool === pool.name);
  const before = await t.run(async (ctx: any) => {
    const statuses = await pool.handles[0].statusBatch(ctx, mine.map((j) => j.id));
    await pool.handles[0].cancelAll(ctx);
    return statuses;
  });
  mine.forEach((j, i) => before[i]?.state !== "finished" && (j.canceled = true));
  log(`cancelAll ${pool.name}`);
  tally.add("cancelAll");
}
