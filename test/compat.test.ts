/**
 * The compat entry points `convex-jobs/workpool` and `convex-jobs/action-retrier`: the official
 * packages' onComplete args, results and statuses, next to the main entry point's on one mount.
 * (test/seed/ runs the official READMEs' examples; this covers the mapping's edges.)
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api, components, internal } from "./app/_generated/api.js";
import { resetLive } from "./app/fns.js";
import { setup } from "./setup.js";
import { installClock, type Clock } from "../src/test.js";
import { Workpool as OurWorkpool } from "../src/client/index.js";
import { Workpool, enqueue, enqueueBatch, isNonRetryableError, NonRetryableError } from "../src/client/compat/workpool.js";
import { ActionRetrier } from "../src/client/compat/actionRetrier.js";

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
  resetLive();
});
afterEach(() => clock.uninstall());

const events = (t: ReturnType<typeof setup>, kind: string) => t.query(api.fns.events, { kind });

describe("convex-jobs/workpool", () => {
  test("one pool, both shapes: each job's onComplete gets the args its enqueue's entry point promises", async () => {
    const t = setup();
    const official = new Workpool(components.jobs, { maxParallelism: 2 });
    const ours = new OurWorkpool(components.jobs, { maxParallelism: 2 });
    const [a, b, c, d] = await t.run(async (ctx) => [
      await official.enqueueMutation(ctx, internal.fns.write, { key: "a" }, { onComplete: internal.compat.workpoolDone, context: { tag: "a" } }),
      await official.enqueueMutation(ctx, internal.fns.write, { key: "b", fail: true }, { onComplete: internal.compat.workpoolDoneByHand }),
      await ours.enqueueMutation(ctx, internal.fns.write, { key: "c", fail: true }, { onComplete: internal.fns.done, context: "c" }),
      await official.enqueueMutation(ctx, internal.fns.write, { key: "d" }, { onComplete: internal.compat.workpoolDoneByHand, runAfter: 60_000 }),
    ]);
    await t.run((ctx) => official.cancel(ctx, d));
    await clock.drain();
    expect((await events(t, "wp-done")).map((e: any) => [e.key, e.data])).toEqual([[a, { context: { tag: "a" }, result: { kind: "success", returnValue: 1 } }]]);
    // A ConvexError's data is `errorData` in the official shape, `data` in ours.
    expect((await events(t, "wp-hand")).map((e: any) => [e.key, e.data])).toEqual([
      [d, { kind: "canceled" }], // canceled at once, before the others ran
      [b, { kind: "failed", error: "write b failed", errorData: { message: "write b failed", code: 42 } }],
    ]);
    expect((await events(t, "done")).map((e: any) => [e.key, e.data])).toEqual([
      [c, { context: "c", result: { kind: "failed", error: "write c failed", data: { message: "write c failed", code: 42 } } }],
    ]);
    // The shared pool's stats count all four.
    expect(await t.run((ctx) => official.pool.stats(ctx))).toMatchObject({ succeeded: 1, failed: 2, canceled: 1 });
  });

  test("status: previousAttempts while pending and running, finished after, also for a cleaned-up id", async () => {
    const t = setup();
    const p = new Workpool(components.jobs, { name: "st", maxParallelism: 1 });
    const id = await t.run((ctx) =>
      p.enqueueAction(ctx, internal.fns.flaky, { key: "s", failures: 1, ms: 1000 }, { retry: { maxAttempts: 3, initialBackoffMs: 5000, base: 2, jitter: "none" } }),
    );
    expect(await t.run((ctx) => p.status(ctx, id))).toEqual({ state: "pending", previousAttempts: 0 });
    await clock.advance(500);
    expect(await t.run((ctx) => p.status(ctx, id))).toEqual({ state: "running", previousAttempts: 0 });
    await clock.advance(1000); // the first attempt failed: waiting out its backoff
    expect(await t.run((ctx) => p.status(ctx, id))).toEqual({ state: "pending", previousAttempts: 1 });
    await clock.drain();
    expect(await t.run((ctx) => p.statusBatch(ctx, [id]))).toEqual([{ state: "finished" }]);
    await t.run((ctx) => p.pool.cleanup(ctx, id));
    expect(await t.run((ctx) => p.status(ctx, id))).toEqual({ state: "finished" });
  });

  test("free enqueue/enqueueBatch take the component and pool options; log levels map; bad ones are refused", async () => {
    const t = setup();
    const ids = await t.run(async (ctx) => [
      await enqueue(components.jobs, ctx, "mutation", internal.fns.write, { key: "f1" }, { maxParallelism: 3, logLevel: "REPORT", onComplete: internal.compat.workpoolDoneByHand }),
      ...(await enqueueBatch(components.jobs, ctx, "action", internal.fns.flaky, [{ key: "f2", failures: 1 }], { retryBehavior: { maxAttempts: 2, initialBackoffMs: 10, base: 2 }, retry: true, logLevel: "TRACE" })),
    ]);
    await clock.drain();
    expect((await events(t, "wp-hand")).map((e: any) => e.key)).toEqual([ids[0]]);
    const statuses = await t.run((ctx) => new OurWorkpool(components.jobs).statusBatch(ctx, ids));
    expect(statuses.map((s: any) => [s.attempt, s.result.kind])).toEqual([[1, "success"], [2, "success"]]);
    expect([("REPORT" as const), "TRACE" as const, "INFO" as const].map((logLevel) => new Workpool(components.jobs, { logLevel }).pool.options.logLevel)).toEqual(["WARN", "DEBUG", "INFO"]);
    expect(() => new Workpool(components.jobs, { logLevel: "VERBOSE" as any })).toThrow(/new Workpool: `logLevel` must be one of "DEBUG", "TRACE", "INFO", "REPORT", "WARN", "ERROR", got "VERBOSE"/);
    await expect(t.run((ctx) => enqueue(components.jobs, ctx, "cron" as any, internal.fns.write, { key: "x" }))).rejects.toThrow(/`fnType` must be "mutation", "action" or "query", got "cron"/);
  });

  test("defineOnComplete: the handler gets { workId, context, result }; isNonRetryableError", async () => {
    expect(() => new Workpool(components.jobs).defineOnComplete({} as any)).toThrow(/`handler` must be a function/);
    expect(isNonRetryableError(new NonRetryableError("no"))).toBe(true);
    expect(isNonRetryableError(new Error("no"))).toBe(false);
  });

  test("two handles on one pool with different retry policies print no warning (each job carries its own)", async () => {
    const t = setup();
    const warn = vi.spyOn(console, "warn");
    try {
      const a = new Workpool(components.jobs, { name: "two", defaultRetryBehavior: { maxAttempts: 2, initialBackoffMs: 10, base: 2 } });
      const b = new Workpool(components.jobs, { name: "two", defaultRetryBehavior: { maxAttempts: 5, initialBackoffMs: 10, base: 2 } });
      await t.run(async (ctx) => {
        await a.enqueueAction(ctx, internal.fns.flaky, { key: "ra", failures: 9 }, { retry: true });
        await b.enqueueAction(ctx, internal.fns.flaky, { key: "rb", failures: 9 }, { retry: true });
      });
      await clock.drain();
      expect(warn).not.toHaveBeenCalled();
      const s = await t.run((ctx) => a.pool.stats(ctx));
      expect(s).toMatchObject({ failed: 2 });
    } finally {
      warn.mockRestore();
    }
  });
});

describe("an onComplete expecting the other shape", () => {
  test("its validation error is kept on the job with a hint naming the entry point to use", async () => {
    const t = setup();
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const ours = new OurWorkpool(components.jobs);
      const official = new Workpool(components.jobs);
      const retrier = new ActionRetrier(components.jobs);
      const ids = await t.run(async (ctx) => [
        await ours.enqueueMutation(ctx, internal.fns.write, { key: "o" }, { onComplete: internal.compat.workpoolDoneByHand as any }),
        await official.enqueueMutation(ctx, internal.fns.write, { key: "w" }, { onComplete: internal.fns.done as any }),
        await retrier.run(ctx, internal.fns.flaky, { key: "r", failures: 0 }, { onComplete: internal.fns.done as any }),
      ]);
      await clock.drain();
      const errors = await t.run(async (ctx) => (await ours.statusBatch(ctx, ids.slice(0, 2))).map((s: any) => s.callbackError));
      const runError = ((await t.run((ctx) => retrier.retrier.status(ctx, ids[2]))) as any)?.callbackError;
      expect(errors[0]).toMatch(/`workId`.*this job was enqueued through "convex-jobs", so it gets \{ jobId, context, result \}.*enqueue with Workpool from "convex-jobs\/workpool"/);
      expect(errors[1]).toMatch(/`jobId`.*enqueued through "convex-jobs\/workpool", so it gets \{ workId, context, result \}/);
      expect(runError).toMatch(/`jobId`.*enqueued through "convex-jobs\/action-retrier", so it gets \{ runId, result \}/);
    } finally {
      quiet.mockRestore();
    }
  });
});

describe("convex-jobs/action-retrier", () => {
  test("onComplete gets { runId, result: { type } } (no error data); status is inProgress, then completed", async () => {
    const t = setup();
    const retrier = new ActionRetrier(components.jobs, { initialBackoffMs: 1000, base: 2, maxFailures: 1 });
    const [ok, bad] = await t.run(async (ctx) => [
      await retrier.run(ctx, internal.fns.flaky, { key: "ok", failures: 1 }, { onComplete: internal.compat.retrierDone }),
      await retrier.run(ctx, internal.fns.flaky, { key: "bad", failures: 9, how: "status", status: 503 }, { onComplete: internal.compat.retrierDone, logLevel: "DEBUG" }),
    ]);
    expect(await t.run((ctx) => retrier.status(ctx, ok))).toEqual({ type: "inProgress" });
    await clock.drain();
    const done = new Map((await events(t, "ar-done")).map((e: any) => [e.key, e.data]));
    expect(done).toEqual(new Map<string, unknown>([[ok, { type: "success", returnValue: 2 }], [bad, { type: "failed", error: "http 503" }]]));
    expect(await t.run((ctx) => retrier.status(ctx, ok))).toEqual({ type: "completed", result: { type: "success", returnValue: 2 } });
    expect(await t.run((ctx) => retrier.status(ctx, bad))).toEqual({ type: "completed", result: { type: "failed", error: "http 503" } });
    await t.run((ctx) => retrier.cleanup(ctx, ok));
    await expect(t.run((ctx) => retrier.status(ctx, ok))).rejects.toThrow(/ActionRetrier.status: run .* not found/);
  });

  test("cancel: onComplete gets { type: canceled }; errors name the retrier", async () => {
    const t = setup();
    const retrier = new ActionRetrier(components.jobs);
    const id = await t.run((ctx) => retrier.runAfter(ctx, 60_000, internal.fns.flaky, { key: "c", failures: 0 }, { onComplete: internal.compat.retrierDone }));
    await t.run((ctx) => retrier.cancel(ctx, id));
    await clock.drain();
    expect((await events(t, "ar-done")).map((e: any) => e.data)).toEqual([{ type: "canceled" }]);
    expect(() => new ActionRetrier(components.jobs, { maxFailures: -1 })).toThrow(/^new ActionRetrier: `maxFailures`/);
    await expect(t.run((ctx) => retrier.run(ctx, internal.fns.flaky, { key: "e", failures: 0 }, { base: 0 }))).rejects.toThrow(/^ActionRetrier run: `base`/);
  });
});
