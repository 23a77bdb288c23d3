/**
 * The bad-input table's harness. Each row is one wrong call; a group runs its rows against one
 * convex-test instance next to witness jobs, then checks that the witnesses completed exactly once
 * and that every pool's `stats` equal a recount of the component's tables.
 */
import { expect } from "vitest";
import { internal } from "../app/_generated/api.js";
import { live } from "../app/fns.js";
import { migrations } from "../app/migrations.js";
import { setup } from "../setup.js";
import type { Clock } from "../../src/test.js";
import type { JobId, PoolStats, Workpool } from "../../src/client/index.js";

export type T = ReturnType<typeof setup>;
export type Ctx = Parameters<Parameters<T["run"]>[0]>[0];

/** What a row's call gets: the test instance, the group's pool, and a way to run in a mutation. */
export interface H {
  t: T;
  pool: Workpool;
  run<R>(f: (ctx: Ctx) => Promise<R> | R): Promise<R>;
  /** Record that a finished job was cleaned up (its kind no longer shows in a recount). */
  cleaned(pool: Workpool, kind: keyof PoolStats): void;
}

/**
 * One wrong call. `throws`: the call must throw an Error whose message matches. `fails`: the call
 * returns a job id (pool = the group's, unless `pool` names another) and the job must end failed
 * with an error matching. `migrationFails`: the call starts `migration`, which must end failed
 * with a `lastError` matching. `notMatch`: the message must not match this (e.g. the function's source).
 */
export type Row = { name: string; notMatch?: RegExp } & (
  | { throws: RegExp; call: (h: H) => unknown }
  | { fails: RegExp; call: (h: H) => Promise<JobId>; pool?: (h: H) => Workpool }
  | { migrationFails: RegExp; call: (h: H) => Promise<unknown>; migration: string }
);

/** Asserts a row's loud failure. */
export async function checkRow(row: Row, h: H, clock: Clock): Promise<void> {
  if ("throws" in row) {
    let error: unknown;
    try {
      await row.call(h);
    } catch (e) {
      error = e;
    }
    expect(error, `${row.name}: should throw`).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message, row.name).toMatch(row.throws);
    if (row.notMatch) expect(message, row.name).not.toMatch(row.notMatch);
    return;
  }
  if ("migrationFails" in row) {
    await row.call(h);
    await clock.advance(2_000);
    const status = await h.run((ctx) => migrations.getStatus(ctx, row.migration));
    expect(status, row.name).toMatchObject({ state: "failed" });
    expect(status!.lastError!.message, row.name).toMatch(row.migrationFails);
    return;
  }
  const id = await row.call(h);
  await clock.advance(2_000);
  const pool = row.pool?.(h) ?? h.pool;
  const status = await h.run((ctx) => pool.status(ctx, id));
  expect(status, row.name).toMatchObject({ state: "finished", result: { kind: "failed" } });
  const error = (status as { result: { error: string } }).result.error;
  expect(error, row.name).toMatch(row.fails);
  if (row.notMatch) expect(error, row.name).not.toMatch(row.notMatch);
}

/** Counts a pool's jobs by state, reading the component's tables directly. */
export async function recount(t: T, poolName: string): Promise<PoolStats> {
  const inComponent = (t as unknown as { runInComponent: (path: string, f: (ctx: any) => Promise<PoolStats>) => Promise<PoolStats> })
    .runInComponent;
  return await inComponent("jobs", async (ctx) => {
    const counts: PoolStats = { pending: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };
    const pool = await ctx.db
      .query("pools")
      .withIndex("by_name", (q: any) => q.eq("name", poolName))
      .unique();
    if (!pool) return counts;
    const jobs = await ctx.db
      .query("jobs")
      .withIndex("by_pool_state_ready", (q: any) => q.eq("pool", pool._id))
      .collect();
    for (const job of jobs) counts[job.state as keyof PoolStats]++;
    return counts;
  });
}

/** Witness jobs: well-formed work enqueued before the wrong calls, each must finish exactly once. */
export async function enqueueWitnesses(h: H, group: string): Promise<{ keys: string[]; ids: JobId[] }> {
  const keys = [0, 1, 2].map((i) => `witness-${group}-${i}`);
  const ids = await h.run(async (ctx) => [
    await h.pool.enqueueMutation(ctx, internal.fns.write, { key: keys[0] }, { onComplete: internal.fns.done, context: { w: 0 } }),
    await h.pool.enqueueAction(ctx, internal.fns.work, { key: keys[1], ms: 500 }, { onComplete: internal.fns.done, context: { w: 1 } }),
    await h.pool.enqueueMutation(ctx, internal.fns.write, { key: keys[2] }, { runAfter: 3_000, onComplete: internal.fns.done, context: { w: 2 } }),
  ]);
  return { keys, ids };
}

/** After the rows: witnesses ran once each, their callbacks ran once each, stats = recount. */
export async function checkWitnesses(h: H, witnesses: { keys: string[]; ids: JobId[] }, pools: Workpool[], cleaned: Map<string, PoolStats>) {
  for (const key of witnesses.keys) expect(live.runs.get(key), `witness ${key} runs`).toBe(1);
  const done = await h.run((ctx) => ctx.db.query("events").withIndex("by_kind", (q) => q.eq("kind", "done")).collect());
  for (const id of witnesses.ids) {
    expect(done.filter((e) => e.key === id), `witness ${id} onComplete`).toHaveLength(1);
    expect(await h.run((ctx) => h.pool.status(ctx, id))).toMatchObject({ state: "finished", result: { kind: "success" } });
  }
  for (const pool of pools) {
    const counted = await recount(h.t, pool.options.name);
    const gone = cleaned.get(pool.options.name);
    if (gone) for (const k of ["pending", "running", "succeeded", "failed", "canceled"] as const) counted[k] += gone[k];
    expect(await h.run((ctx) => pool.stats(ctx)), `stats of pool "${pool.options.name}"`).toEqual(counted);
  }
}
