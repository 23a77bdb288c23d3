/**
 * Upgrade safety (issue 9): jobs, workers and wake-ups written by the previous version (before
 * action runners: git show 5dbc5b6:src/component/pool/tables.ts) must still complete. Each test
 * writes documents in that version's shape straight into the component's tables and schedules
 * what that version scheduled, then drives the clock through the public client.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { createFunctionHandle, makeFunctionReference } from "convex/server";
import { internal } from "./app/_generated/api.js";
import { live, resetLive } from "./app/fns.js";
import { pool, setup } from "./setup.js";
import { installClock, type Clock } from "../src/test.js";

type T = ReturnType<typeof setup>;
/** convex-test's (untyped) way to run a function against a component's own tables. */
const inComponent = <R>(t: T, fn: (ctx: any) => Promise<R>): Promise<R> =>
  (t as unknown as { runInComponent: (path: string, f: typeof fn) => Promise<R> }).runInComponent("jobs", fn);

/** The previous version's scheduled functions, by path (their names and args are kept). */
const old = {
  dispatch: makeFunctionReference<"mutation">("pool/dispatch:dispatch"),
  runMutationJob: makeFunctionReference<"mutation">("pool/worker:runMutationJob"),
  runActionJob: makeFunctionReference<"action">("pool/worker:runActionJob"),
  complete: makeFunctionReference<"mutation">("pool/worker:complete"),
};

const counts = (c: Partial<Record<"pending" | "running" | "succeeded" | "failed" | "canceled", number>>) => ({
  pending: 0,
  running: 0,
  succeeded: 0,
  failed: 0,
  canceled: 0,
  ...c,
});

/** A pool as the previous version stored it: wake fields on the pool document, no wake state. */
async function oldPool(t: T, wakeAt: number | null, kickOnComplete: boolean) {
  return await inComponent<string>(t, (ctx) =>
    ctx.db.insert("pools", { name: "test", maxParallelism: 3, retentionMs: 86_400_000, logLevel: "WARN", wakeAt, kickOnComplete }),
  );
}

/** A job document as the previous version inserted it (the shape is unchanged). */
function oldJob(pool: string, kind: "action" | "mutation", fnHandle: string, fnName: string, args: object, onComplete: string) {
  return {
    pool,
    kind,
    fnHandle,
    fnName,
    args,
    state: "pending" as const,
    readyAt: Date.now(),
    attempt: 0,
    onComplete: { fnHandle: onComplete, context: { upgraded: true } },
  };
}

async function handles(t: T) {
  return await t.run(async () => ({
    work: await createFunctionHandle(internal.fns.work),
    write: await createFunctionHandle(internal.fns.write),
    done: await createFunctionHandle(internal.fns.done),
  }));
}

const done = (t: T) => t.run((ctx) => ctx.db.query("events").withIndex("by_kind", (q) => q.eq("kind", "done")).collect());

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
  resetLive();
});
afterEach(() => clock.uninstall());

describe("after an upgrade from the previous stored shape", () => {
  test("running jobs with the old per-job workers, pending jobs, kicks and the old timer all complete once", async () => {
    const t = setup();
    const h = await handles(t);
    const poolId = await oldPool(t, 0, true);
    const ids = await inComponent(t, async (ctx) => {
      const act = await ctx.db.insert("jobs", oldJob(poolId, "action", h.work, "fns:work", { key: "old-action", ms: 500 }, h.done));
      const mut = await ctx.db.insert("jobs", oldJob(poolId, "mutation", h.write, "fns:write", { key: "old-mutation" }, h.done));
      const waiting = [];
      for (const key of ["old-pending-1", "old-pending-2"]) {
        waiting.push(await ctx.db.insert("jobs", oldJob(poolId, "action", h.work, "fns:work", { key, ms: 100 }, h.done)));
      }
      // The old dispatcher started two jobs, each with a worker of its own, and armed its timer.
      const actWorker = await ctx.scheduler.runAfter(0, old.runActionJob, { jobId: act, attempt: 1, fnHandle: h.work, args: { key: "old-action", ms: 500 } });
      const mutWorker = await ctx.scheduler.runAfter(0, old.runMutationJob, { jobId: mut, attempt: 1 });
      await ctx.db.patch(act, { state: "running", attempt: 1, workerId: actWorker, startedAt: Date.now() });
      await ctx.db.patch(mut, { state: "running", attempt: 1, workerId: mutWorker, startedAt: Date.now() });
      const timer = await ctx.scheduler.runAfter(30_000, old.dispatch, { pool: poolId });
      await ctx.db.insert("dispatchState", {
        pool: poolId,
        running: [
          { jobId: act, attempt: 1, workerId: actWorker, kind: "action" },
          { jobId: mut, attempt: 1, workerId: mutWorker, kind: "mutation" },
        ],
        counts: counts({ pending: 2, running: 2 }),
        timer: { at: Date.now() + 30_000, id: timer },
        idleFollowUps: 0,
      });
      // A completion's wake-up call from the old version, never consumed.
      await ctx.db.insert("kicks", { pool: poolId });
      return { act, mut, waiting };
    });
    // The upgraded app enqueues through the client as usual.
    const p = pool();
    const fresh = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "new", ms: 100 }, { onComplete: internal.fns.done }));
    const all = [ids.act, ids.mut, ...ids.waiting, fresh];
    await clock.advance(2_000);
    const statuses = await t.run((ctx) => p.statusBatch(ctx, all as never));
    expect(statuses.map((s) => (s?.state === "finished" ? s.result.kind : s?.state))).toEqual(Array(5).fill("success"));
    expect(statuses.map((s) => s?.attempt)).toEqual([1, 1, 1, 1, 1]);
    expect(live.runs).toEqual(new Map([["old-action", 1], ["old-mutation", 1], ["old-pending-1", 1], ["old-pending-2", 1], ["new", 1]]));
    expect((await done(t)).map((e) => e.key).sort()).toEqual([...all].sort());
    expect(await t.run((ctx) => p.stats(ctx))).toEqual(counts({ succeeded: 5 }));
    // The dispatcher has written its new wake state; the legacy fields are left alone.
    const state = await inComponent(t, (ctx) => ctx.db.query("dispatchState").first());
    expect(state).toMatchObject({ wakeAt: null, running: [] });
  });

  test("an old pool that looked covered (pools.wakeAt = 0), with an old dispatch state and no timer: the next enqueue wakes it", async () => {
    const t = setup();
    const h = await handles(t);
    const poolId = await oldPool(t, 0, false);
    const queued = await inComponent(t, async (ctx) => {
      await ctx.db.insert("dispatchState", { pool: poolId, running: [], counts: counts({ pending: 1 }), idleFollowUps: 0, nextExpiryAt: null });
      return await ctx.db.insert("jobs", oldJob(poolId, "mutation", h.write, "fns:write", { key: "stuck-before" }, h.done));
    });
    const p = pool();
    const fresh = await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "after" }, { onComplete: internal.fns.done }));
    await clock.advance(1_000);
    expect(live.started).toEqual(["stuck-before", "after"]);
    const statuses = await t.run((ctx) => p.statusBatch(ctx, [queued, fresh] as never));
    expect(statuses.map((s) => s?.state)).toEqual(["finished", "finished"]);
    expect(await done(t)).toHaveLength(2);
    expect(await t.run((ctx) => p.stats(ctx))).toEqual(counts({ succeeded: 2 }));
  });

  test("jobs stored before dedupe (no key) are never found by a dedupe or debounce lookup", async () => {
    const t = setup();
    const h = await handles(t);
    const poolId = await oldPool(t, null, false);
    const stored = await inComponent(t, async (ctx) => {
      await ctx.db.insert("dispatchState", { pool: poolId, running: [], counts: counts({ pending: 1 }), idleFollowUps: 0, nextExpiryAt: null });
      return await ctx.db.insert("jobs", oldJob(poolId, "mutation", h.write, "fns:write", { key: "stored" }, h.done));
    });
    const p = pool();
    const keyed = await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "deduped" }, { dedupe: { key: "fns:write" } }));
    const debounced = await t.run((ctx) =>
      p.enqueueMutation(ctx, internal.fns.write, { key: "debounced" }, { debounce: { key: "fns:write", delayMs: 0, maxWaitMs: 0 } }),
    );
    expect([keyed.deduped, debounced.deduped]).toEqual([false, false]);
    expect(new Set([stored, keyed.jobId, debounced.jobId]).size).toBe(3);
    await clock.advance(1_000);
    expect(live.started).toEqual(["stored", "deduped", "debounced"]);
    expect(await t.run((ctx) => p.stats(ctx))).toEqual(counts({ succeeded: 3 }));
  });

  test("0.1's state-specific fields move on with the job: a retry back in line, an action canceled mid-run, a finished job's expiry", async () => {
    const t = setup();
    const h = await handles(t);
    const poolId = await oldPool(t, null, false);
    const now = Date.now();
    const ids = await inComponent(t, async (ctx) => {
      // Back in line after a failed attempt: 0.1 kept that attempt's start (and its error).
      const retrying = await ctx.db.insert("jobs", {
        ...oldJob(poolId, "mutation", h.write, "fns:write", { key: "retrying" }, h.done),
        attempt: 1,
        startedAt: now - 1_000,
        lastError: { message: "first attempt failed" },
      });
      // Canceled while its action ran: onComplete heard "canceled" then (and threw); the action still runs.
      const canceling = await ctx.db.insert("jobs", oldJob(poolId, "action", h.work, "fns:work", { key: "canceling", ms: 100 }, h.done));
      const worker = await ctx.scheduler.runAfter(0, old.runActionJob, { jobId: canceling, attempt: 1, fnHandle: h.work, args: { key: "canceling", ms: 100 } });
      await ctx.db.patch(canceling, { state: "running", attempt: 1, workerId: worker, startedAt: now, cancelRequested: true, callbackError: "old callback threw" });
      // Finished under 0.1, due to expire in a second.
      const finished = await ctx.db.insert("jobs", {
        ...oldJob(poolId, "mutation", h.write, "fns:write", { key: "finished" }, h.done),
        state: "succeeded",
        attempt: 1,
        startedAt: now - 2_000,
        result: { kind: "success", returnValue: null },
        finishedAt: now - 1_000,
        expiresAt: now + 1_000,
      });
      await ctx.db.insert("dispatchState", {
        pool: poolId,
        running: [{ jobId: canceling, attempt: 1, workerId: worker, kind: "action" }],
        counts: counts({ pending: 1, running: 1, succeeded: 1 }),
        idleFollowUps: 0,
      });
      return { retrying, canceling, finished };
    });
    const p = pool();
    await clock.advance(5_000);
    const [retrying, canceling, finished] = await t.run((ctx) => p.statusBatch(ctx, [ids.retrying, ids.canceling, ids.finished] as never));
    expect(retrying).toMatchObject({ state: "finished", attempt: 2, result: { kind: "success" }, lastError: { message: "first attempt failed" } });
    expect(canceling).toMatchObject({ state: "finished", result: { kind: "canceled" }, callbackError: "old callback threw" });
    expect(finished).toBeNull();
    // onComplete once per job: the canceled one heard it before the upgrade, the old finished one too.
    expect((await done(t)).map((e) => e.key)).toEqual([ids.retrying]);
    const stored = await inComponent<Record<string, unknown>[]>(t, (ctx) => ctx.db.query("jobs").collect());
    for (const job of stored) expect(job.workerId).toBeUndefined();
  });

  test("an old per-job worker in flight across the upgrade reports in the old shape: its outcome is recorded once", async () => {
    const t = setup();
    const h = await handles(t);
    const poolId = await oldPool(t, 0, true);
    const job = await inComponent(t, async (ctx) => {
      const id = await ctx.db.insert("jobs", oldJob(poolId, "action", h.work, "fns:work", { key: "in-flight", ms: 10 }, h.done));
      // Its worker (old code, already running when the new version was pushed) is still busy...
      const worker = await ctx.scheduler.runAfter(60_000, old.runActionJob, { jobId: id, attempt: 1, fnHandle: h.work, args: {} });
      await ctx.db.patch(id, { state: "running", attempt: 1, workerId: worker, startedAt: Date.now() });
      await ctx.db.insert("dispatchState", {
        pool: poolId,
        running: [{ jobId: id, attempt: 1, workerId: worker, kind: "action" }],
        counts: counts({ running: 1 }),
        idleFollowUps: 0,
      });
      // ...and reports its outcome the way the old code did: one outcome per call to `complete`.
      await ctx.scheduler.runAfter(100, old.complete, { jobId: id, attempt: 1, outcome: { kind: "success", returnValue: "old shape" } });
      return id;
    });
    const p = pool();
    await clock.advance(1_000);
    expect(await t.run((ctx) => p.status(ctx, job as never))).toMatchObject({
      state: "finished",
      attempt: 1,
      result: { kind: "success", returnValue: "old shape" },
    });
    expect(await done(t)).toHaveLength(1);
    expect(await t.run((ctx) => p.stats(ctx))).toEqual(counts({ succeeded: 1 }));
  });

  test("an old worker whose run died before the upgrade: the watchdog's first look finishes it by its policy", async () => {
    const t = setup();
    const h = await handles(t);
    const poolId = await oldPool(t, 0, true);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const job = await inComponent(t, async (ctx) => {
      const id = await ctx.db.insert("jobs", {
        ...oldJob(poolId, "action", h.work, "fns:work", { key: "lost", ms: 10 }, h.done),
        retry: { maxAttempts: 2, initialBackoffMs: 100, base: 2, maxBackoffMs: 1_000, jitter: "none" },
      });
      // The old worker was scheduled, then canceled (as a crashed run would end: never reporting).
      const worker = await ctx.scheduler.runAfter(0, old.runActionJob, { jobId: id, attempt: 1, fnHandle: h.work, args: { key: "lost", ms: 10 } });
      await ctx.scheduler.cancel(worker);
      await ctx.db.patch(id, { state: "running", attempt: 1, workerId: worker, startedAt: Date.now() - 5_000 });
      await ctx.db.insert("dispatchState", {
        pool: poolId,
        running: [{ jobId: id, attempt: 1, workerId: worker, kind: "action" }],
        counts: counts({ running: 1 }),
        idleFollowUps: 0,
      });
      return id;
    });
    // Any dispatch run will do: here the one an enqueue of another job asks for.
    const p = pool();
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "other" }));
    await clock.advance(2_000);
    expect(await t.run((ctx) => p.status(ctx, job as never))).toMatchObject({
      state: "finished",
      attempt: 2,
      result: { kind: "success" },
      lastError: { message: expect.stringMatching(/ended without completing \(canceled\)/) },
    });
    expect(live.runs.get("lost")).toBe(1);
    expect(await done(t)).toHaveLength(1);
    expect(await t.run((ctx) => p.stats(ctx))).toEqual(counts({ succeeded: 2 }));
    warn.mockRestore();
  });
});
