/**
 * Deduplication on enqueue (issue #8, section 4), through the Workpool client; and the types and
 * bad input of both keyed options, `dedupe` and `debounce` (debounce itself: ./debounce.test.ts).
 */
import { afterEach, beforeEach, describe, expect, expectTypeOf, test } from "vitest";
import { components, internal } from "./app/_generated/api.js";
import { live, resetLive } from "./app/fns.js";
import { doneCallbacks, pool, setup, startsOf } from "./setup.js";
import { installClock, type Clock } from "../src/test.js";
import { enqueue, type DedupedEnqueue, type JobId, type OnCompleteArgs, type RunMutationCtx } from "../src/client/index.js";
import type { FunctionReference } from "convex/server";

/** Typed references (the test app's generated api types args loosely) for the type checks below. */
const writeRef = internal.fns.write as unknown as FunctionReference<"mutation", "internal", { key: string }, number>;
const doneRef = internal.fns.done as unknown as FunctionReference<"mutation", "internal", OnCompleteArgs<{ n: number }, any>, null>;

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
  resetLive();
});
afterEach(() => clock.uninstall());

describe("dedupe: reject (the default)", () => {
  test("a second enqueue with a live key returns the live job, deduped; only the first's onComplete runs", async () => {
    const t = setup();
    const p = pool();
    const first = await t.run((ctx) =>
      p.enqueueAction(ctx, internal.fns.work, { key: "a1", ms: 1000 }, { dedupe: { key: "k" }, onComplete: internal.fns.done, context: "first" }),
    );
    expect(first.deduped).toBe(false);
    const pendingDup = await t.run((ctx) =>
      p.enqueueAction(ctx, internal.fns.work, { key: "a2", ms: 10 }, { dedupe: { key: "k", mode: "reject" }, onComplete: internal.fns.done, context: "second" }),
    );
    expect(pendingDup).toEqual({ jobId: first.jobId, deduped: true });
    await clock.advance(500); // the first now runs: a running job rejects too
    expect(live.started).toEqual(["a1"]);
    const runningDup = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "a3", ms: 10 }, { dedupe: { key: "k" } }));
    expect(runningDup).toEqual({ jobId: first.jobId, deduped: true });
    // Another key is independent.
    const other = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "b1", ms: 10 }, { dedupe: { key: "other" } }));
    expect(other.deduped).toBe(false);
    await clock.drain();
    expect(live.started.sort()).toEqual(["a1", "b1"]);
    expect(await doneCallbacks(t)).toEqual([[first.jobId, "first"]]);
    expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ pending: 0, running: 0, succeeded: 2 });
  });

  test("1,000 duplicate enqueues: one job runs", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 10 });
    const results: DedupedEnqueue[] = [];
    // Ten mutations of 100 enqueues each, the clock moving between them (the job starts and runs).
    for (let m = 0; m < 10; m++) {
      results.push(
        ...(await t.run(async (ctx) => {
          const out = [];
          for (let i = 0; i < 100; i++) {
            out.push(await p.enqueueAction(ctx, internal.fns.work, { key: `dup-${m}-${i}`, ms: 2000 }, { dedupe: { key: "report" } }));
          }
          return out;
        })),
      );
      await clock.advance(100);
    }
    await clock.drain();
    expect(results.filter((r) => !r.deduped)).toHaveLength(1);
    expect(new Set(results.map((r) => r.jobId)).size).toBe(1);
    expect(live.started).toEqual(["dup-0-0"]);
    expect(await t.run((ctx) => p.stats(ctx))).toEqual({ pending: 0, running: 0, succeeded: 1, failed: 0, canceled: 0 });
  });

  test("the key is released when the job succeeds, fails after its last attempt, or is canceled", async () => {
    const t = setup();
    const p = pool({ retry: { maxAttempts: 2, initialBackoffMs: 1000, jitter: "none" } });
    const dedupe = { key: "job" };
    // Success.
    const a = await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "ok" }, { dedupe }));
    await clock.drain();
    const b = await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "after-ok" }, { dedupe }));
    expect(b.deduped).toBe(false);
    expect(b.jobId).not.toBe(a.jobId);
    await clock.drain();
    // Failure: while the first attempt's retry waits out its backoff the job is live (deduped to it);
    // after the last attempt failed, the key is free.
    const c = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.flaky, { key: "f", failures: 5 }, { dedupe, retry: true }));
    await clock.advance(300);
    expect(startsOf("f", 0)).toHaveLength(1);
    expect(await t.run((ctx) => p.enqueueAction(ctx, internal.fns.flaky, { key: "f", failures: 5 }, { dedupe }))).toEqual({
      jobId: c.jobId,
      deduped: true,
    });
    await clock.drain();
    const ended = await t.run((ctx) => p.status(ctx, c.jobId));
    expect(ended).toMatchObject({ state: "finished", result: { kind: "failed" } });
    expect(ended).not.toHaveProperty("dedupe");
    const d = await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "after-fail" }, { dedupe }));
    expect(d.deduped).toBe(false);
    // Cancel of a pending job, then of a running action.
    await t.run((ctx) => p.cancel(ctx, d.jobId));
    const e = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "long", ms: 5000 }, { dedupe }));
    expect(e.deduped).toBe(false);
    await clock.advance(500);
    expect(live.started).toContain("long");
    expect(await t.run((ctx) => p.status(ctx, e.jobId))).toMatchObject({ state: "running", dedupe: { key: "job", mode: "reject" } });
    await t.run((ctx) => p.cancel(ctx, e.jobId));
    const f = await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "after-cancel" }, { dedupe }));
    expect(f.deduped).toBe(false);
    await clock.drain();
    expect(live.started.filter((k) => !k.startsWith("f#"))).toEqual(["ok", "after-ok", "long", "after-cancel"]);
  });

  test("jobs that ended leave their key's index range, so a lookup reads live jobs only", async () => {
    const t = setup();
    const p = pool();
    /** States of the jobs still holding the stored key (what `by_pool_dedupe` indexes). */
    const holding = (stored: string): Promise<string[]> =>
      (t as any).runInComponent("jobs", async (ctx: any) =>
        (await ctx.db.query("jobs").collect()).filter((j: any) => j.dedupeKey === stored).map((j: any) => j.state),
      );
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "ok" }, { dedupe: { key: "ok" } }));
    await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "bad", fail: true }, { dedupe: { key: "bad" } }));
    const pending = await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "p" }, { dedupe: { key: "p" }, runAfter: 60_000 }));
    const running = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "r", ms: 5000 }, { debounce: { key: "r", delayMs: 0, maxWaitMs: 0 } }));
    await clock.advance(100);
    expect(await holding("debounce:r")).toEqual(["running"]);
    expect(await holding("dedupe:p")).toEqual(["pending"]);
    await t.run((ctx) => p.cancel(ctx, pending.jobId));
    await t.run((ctx) => p.cancel(ctx, running.jobId));
    for (const key of ["dedupe:ok", "dedupe:bad", "dedupe:p", "debounce:r"]) expect(await holding(key)).toEqual([]);
    await clock.drain();
  });

  test("a job covered by a cancelAll still in progress does not count", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1 });
    const a = await t.run(async (ctx) => {
      const first = await p.enqueueMutation(ctx, internal.fns.write, { key: "doomed" }, { dedupe: { key: "c" }, runAfter: 60_000 });
      await p.cancelAll(ctx); // its pending batch has not run yet
      return first;
    });
    const b = await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "kept" }, { dedupe: { key: "c" } }));
    expect(b.deduped).toBe(false);
    expect(b.jobId).not.toBe(a.jobId);
    await clock.drain();
    expect(live.started).toEqual(["kept"]);
  });

  test("ttlMs: a live job older than the ttl does not count", async () => {
    const t = setup();
    const p = pool();
    const dedupe = { key: "t", ttlMs: 60_000 };
    const a = await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "t1" }, { dedupe, runAfter: 120_000 }));
    await clock.advance(30_000);
    expect(await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "t2" }, { dedupe }))).toEqual({ ...a, deduped: true });
    await clock.advance(31_000); // a is now 61 s old and still pending
    const b = await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "t3" }, { dedupe }));
    expect(b.deduped).toBe(false);
    await clock.drain();
    expect(live.started).toEqual(["t3", "t1"]);
  });
});

describe("dedupe: replacePending", () => {
  test("the pending job takes the latest args and onComplete; with only a running one, a new job is enqueued", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1 });
    // Hold the only slot so the keyed jobs stay pending.
    await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "blocker", ms: 1000 }));
    await clock.advance(10);
    const dedupe = { key: "profile:7", mode: "replacePending" as const };
    const ids: DedupedEnqueue[] = [];
    for (const v of [1, 2, 3]) {
      ids.push(
        await t.run((ctx) =>
          p.enqueueAction(ctx, internal.fns.work, { key: `v${v}`, ms: 2000 }, { dedupe, onComplete: internal.fns.done, context: v }),
        ),
      );
    }
    expect(ids.map((r) => r.deduped)).toEqual([false, true, true]);
    expect(new Set(ids.map((r) => r.jobId)).size).toBe(1);
    expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ pending: 1 });
    await clock.advance(1500); // v3 runs now (the blocker ended)
    expect(live.started).toEqual(["blocker", "v3"]);
    const next = await t.run((ctx) =>
      p.enqueueAction(ctx, internal.fns.work, { key: "v4", ms: 10 }, { dedupe, onComplete: internal.fns.done, context: 4 }),
    );
    expect(next.deduped).toBe(false);
    await clock.drain();
    expect(live.started).toEqual(["blocker", "v3", "v4"]);
    expect(await doneCallbacks(t)).toEqual([
      [ids[0].jobId, 3],
      [next.jobId, 4],
    ]);
  });

  test("runAt on a replacing enqueue moves the pending job", async () => {
    const t = setup();
    const p = pool();
    const t0 = Date.now();
    const dedupe = { key: "r", mode: "replacePending" as const };
    const a = await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "late" }, { dedupe, runAfter: 60_000 }));
    const b = await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "soon" }, { dedupe, runAfter: 1000 }));
    expect(b).toEqual({ jobId: a.jobId, deduped: true });
    await clock.advance(1100);
    expect(live.started).toEqual(["soon"]);
    expect(await t.run((ctx) => p.status(ctx, a.jobId))).toMatchObject({ state: "finished", finishedAt: expect.any(Number) });
    expect(Date.now() - t0).toBeLessThan(60_000);
  });
});

describe("dedupe: queueOneAfterActive", () => {
  test("while one runs, exactly one waits: the latest", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 5 });
    const dedupe = { key: "sync:acme", mode: "queueOneAfterActive" as const };
    const first = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "s1", ms: 1000 }, { dedupe }));
    await clock.advance(10);
    expect(live.started).toEqual(["s1"]);
    const queued = [];
    for (const n of [2, 3, 4]) {
      queued.push(await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: `s${n}`, ms: 10 }, { dedupe })));
    }
    expect(queued.map((r) => r.deduped)).toEqual([false, true, true]);
    expect(queued[0].jobId).not.toBe(first.jobId);
    expect(new Set(queued.map((r) => r.jobId)).size).toBe(1);
    await clock.drain();
    expect(live.started).toEqual(["s1", "s4"]);
  });

  test("the key's jobs run one at a time, even with free slots", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 5 });
    const dedupe = { key: "sync:acme", mode: "queueOneAfterActive" as const };
    await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "sync-1", ms: 1000 }, { dedupe }));
    await clock.advance(10);
    await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "sync-2", ms: 1000 }, { dedupe }));
    await clock.advance(500);
    expect(live.started).toEqual(["sync-1"]); // free slots, but the key's limit is 1
    await clock.drain();
    expect(live.started).toEqual(["sync-1", "sync-2"]);
    expect(live.peakBy.get("sync")).toBe(1);
  });
});

describe("types and bad input", () => {
  test("plain enqueues return a JobId, keyed ones { jobId, deduped } (checked at compile time)", async () => {
    const t = setup();
    const p = pool();
    const plain = await t.run((ctx) => p.enqueueMutation(ctx, internal.fns.write, { key: "p" }, { retry: false }));
    expectTypeOf(plain).toEqualTypeOf<JobId>();
    const keyed = await t.run((ctx) => enqueue(p, ctx, "mutation", internal.fns.write, { key: "q" }, { dedupe: { key: "q" } }));
    expectTypeOf(keyed).toEqualTypeOf<DedupedEnqueue>();
    expect(typeof plain).toBe("string");
    expect(keyed).toEqual({ jobId: expect.any(String), deduped: false });
    const batch = await t.run((ctx) => p.enqueueMutationBatch(ctx, internal.fns.write, [{ key: "r" }]));
    expectTypeOf(batch).toEqualTypeOf<JobId[]>();
  });

  test("keyed options keep args and onComplete context type-checked (npm run typecheck)", () => {
    // Never called: the @ts-expect-error lines fail `npm run typecheck` if the types stop catching these.
    const p = pool();
    async function typed(ctx: RunMutationCtx) {
      const ok: JobId = await p.enqueueMutation(ctx, writeRef, { key: "x" }, { onComplete: doneRef, context: { n: 1 } });
      // @ts-expect-error the context does not match the onComplete's
      await p.enqueueMutation(ctx, writeRef, { key: "x" }, { onComplete: doneRef, context: { n: "1" }, dedupe: { key: "k" } });
      // @ts-expect-error the args do not match the function's
      await p.enqueueMutation(ctx, writeRef, { key: 1 }, { dedupe: { key: "k" } });
      // @ts-expect-error not a mode
      await p.enqueueMutation(ctx, writeRef, { key: "x" }, { dedupe: { key: "k", mode: "nope" } });
      // @ts-expect-error maxWaitMs is required
      await p.enqueueMutation(ctx, writeRef, { key: "x" }, { debounce: { key: "k", delayMs: 5 } });
      const keyed: DedupedEnqueue = await enqueue(p, ctx, "mutation", writeRef, { key: "x" }, {
        onComplete: doneRef,
        context: { n: 1 },
        debounce: { key: "k", delayMs: 1, maxWaitMs: 1 },
      });
      return [ok, keyed];
    }
    expect(typeof typed).toBe("function");
  });

  test("bad dedupe/debounce options fail at the client, naming the option and the fix", async () => {
    const t = setup();
    const p = pool();
    const bad = (options: any, batch = false): Promise<unknown> =>
      t.run(async (ctx) =>
        batch
          ? await p.enqueueMutationBatch(ctx, internal.fns.write, [{ key: "x" }], options)
          : await p.enqueueMutation(ctx, internal.fns.write, { key: "x" }, options),
      );
    await expect(bad({ dedupe: { key: "k" } }, true)).rejects.toThrow(/enqueueMutationBatch: `dedupe` applies to one job.*enqueue each job on its own/);
    await expect(bad({ debounce: { key: "k", delayMs: 1, maxWaitMs: 1 } }, true)).rejects.toThrow(/`debounce` applies to one job/);
    await expect(bad({ dedupe: { key: "k" }, debounce: { key: "k", delayMs: 1, maxWaitMs: 1 } })).rejects.toThrow(/`dedupe` or `debounce`, not both/);
    await expect(bad({ dedupe: { key: "" } })).rejects.toThrow(/`dedupe.key` must be a non-empty string/);
    await expect(bad({ dedupe: "k" })).rejects.toThrow(/`dedupe` must be an object like/);
    await expect(bad({ dedupe: { key: "k", mode: "drop" } })).rejects.toThrow(/`dedupe.mode` must be one of "reject", "replacePending", "queueOneAfterActive", got "drop"/);
    await expect(bad({ dedupe: { key: "k", ttl: 5 } })).rejects.toThrow(/`dedupe` has no field `ttl`/);
    await expect(bad({ dedupe: { key: "k", ttlMs: -1 } })).rejects.toThrow(/`dedupe.ttlMs` must be a number of ms > 0/);
    await expect(bad({ dedupe: { key: "k", mode: "queueOneAfterActive" }, key: "tenant" })).rejects.toThrow(
      /`key` and `dedupe.mode: "queueOneAfterActive"` cannot be combined/,
    );
    await expect(bad({ debounce: { key: "k", delayMs: 1000 } })).rejects.toThrow(/`debounce.maxWaitMs` is required, a number of ms >= `delayMs` \(1000\)/);
    await expect(bad({ debounce: { key: "k", delayMs: 1000, maxWaitMs: 500 } })).rejects.toThrow(/`debounce.maxWaitMs`.*got 500/);
    await expect(bad({ debounce: { key: "k", delayMs: -5, maxWaitMs: 500 } })).rejects.toThrow(/`debounce.delayMs` must be a number of ms >= 0/);
    await expect(bad({ debounce: { key: "k", delayMs: 5, maxWaitMs: 500 }, runAfter: 10 })).rejects.toThrow(/`debounce` decides when the job runs; drop `runAfter`/);
    expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ pending: 0 });
  });

  test("the component checks the values too (callers that bypass the client)", async () => {
    const t = setup();
    const spec = { kind: "mutation" as const, fnHandle: "function://x", fnName: "fns:write", args: {} };
    const call = (extra: object) =>
      t.run((ctx) =>
        ctx.runMutation(components.jobs.pool.enqueue.enqueue, { pool: { name: "raw", maxParallelism: 1 }, jobs: [{ ...spec, ...extra }] }),
      );
    await expect(call({ dedupe: { key: "k", ttlMs: 0 } })).rejects.toThrow(/jobs\[0\]\.dedupe\.ttlMs must be a number of ms > 0/);
    await expect(call({ debounce: { key: "k", delayMs: 10, maxWaitMs: 5 } })).rejects.toThrow(/jobs\[0\]\.debounce\.maxWaitMs must be a number of ms >= delayMs/);
    await expect(call({ dedupe: { key: "" } })).rejects.toThrow(/jobs\[0\]\.dedupe\.key must be a non-empty string/);
    await expect(call({ dedupe: { key: "k", mode: "queueOneAfterActive" }, key: "tenant" })).rejects.toThrow(
      /`key` and `dedupe.mode: "queueOneAfterActive"` cannot be combined/,
    );
    await expect(call({ debounce: { key: "k", delayMs: 1, maxWaitMs: 5 }, runAt: Date.now() + 10 })).rejects.toThrow(/drop `runAt`/);
    // An old client's plain enqueue still gets a plain array of ids.
    expect(await call({})).toEqual([expect.any(String)]);
  });
});
