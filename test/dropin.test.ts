/**
 * Drop-in features for users of the official @convex-dev/workpool and @convex-dev/action-retrier:
 * the shapes their READMEs use, driven through our client.
 */
import { afterEach, beforeEach, describe, expect, onTestFinished, test, vi } from "vitest";
import { api, components, internal } from "./app/_generated/api.js";
import { live, resetLive } from "./app/fns.js";
import { setup } from "./setup.js";
import { installClock, type Clock } from "../src/test.js";
import { ActionRetrier, DEFAULT_POOL_NAME, enqueue, enqueueBatch, Workpool } from "../src/client/index.js";

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
  resetLive();
});
afterEach(() => clock.uninstall());

describe("pool name", () => {
  test("without a name, every Workpool of a mount is the one default pool", async () => {
    const t = setup();
    const a = new Workpool(components.jobs, { maxParallelism: 1 });
    const b = new Workpool(components.jobs, { maxParallelism: 1 });
    expect(a.options.name).toBe(DEFAULT_POOL_NAME);
    await t.run(async (ctx) => {
      await a.enqueueAction(ctx, internal.fns.work, { key: "d-1", ms: 100 });
      await b.enqueueAction(ctx, internal.fns.work, { key: "d-2", ms: 100 });
      await a.enqueueMutation(ctx, internal.fns.write, { key: "d-3" });
    });
    await clock.drain();
    expect(live.peakBy.get("d")).toBe(1); // one queue, one cap
    expect(await t.run((ctx) => b.stats(ctx))).toMatchObject({ succeeded: 3, pending: 0 });
    // The retrier's runs go through a pool of their own, not the default one.
    const retrier = new ActionRetrier(components.jobs);
    await t.run((ctx) => retrier.run(ctx, internal.fns.work, { key: "r-1", ms: 10 }));
    await clock.drain();
    expect(await t.run((ctx) => a.stats(ctx))).toMatchObject({ succeeded: 3 });
    expect(() => new Workpool(components.jobs, { name: "", maxParallelism: 1 })).toThrow(/`options.name`.*left out/);
  });
});

describe("maxParallelism default", () => {
  test("without maxParallelism a pool runs up to 10 jobs at once, as the official default", async () => {
    const t = setup();
    const p = new Workpool(components.jobs);
    expect(p.options).toMatchObject({ name: "default", maxParallelism: 10 });
    await t.run((ctx) => p.enqueueActionBatch(ctx, internal.fns.work, Array.from({ length: 25 }, (_, i) => ({ key: `m-${i}`, ms: 500 }))));
    await clock.drain();
    expect(live.peakBy.get("m")).toBe(10);
    expect(() => new Workpool(components.jobs, { maxParallelism: 0 })).toThrow(/`maxParallelism`.*got 0/);
  });
});

describe("defaultRetryBehavior", () => {
  test("is the pool's retry policy under the official name", async () => {
    const t = setup();
    const p = new Workpool(components.jobs, {
      name: "drb",
      retryActionsByDefault: true,
      defaultRetryBehavior: { maxAttempts: 3, initialBackoffMs: 100, base: 2 },
    });
    const id = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.flaky, { key: "drb", failures: 9 }));
    await clock.drain();
    expect(await t.run((ctx) => p.status(ctx, id))).toMatchObject({ attempt: 3, result: { kind: "failed" } });
    expect(() => new Workpool(components.jobs, { retry: {}, defaultRetryBehavior: {} })).toThrow(/both `retry` and `defaultRetryBehavior`/);
  });
});

describe("job name", () => {
  test("a job's name is returned by status and used in logs; it defaults to the function's name", async () => {
    const t = setup();
    const p = new Workpool(components.jobs, { name: "named", maxParallelism: 2, logLevel: "INFO" });
    const logs: string[] = [];
    const spy = vi.spyOn(console, "info").mockImplementation((...a: unknown[]) => void logs.push(a.join(" ")));
    try {
      const [named, plain] = await t.run(async (ctx) => [
        await p.enqueueAction(ctx, internal.fns.flaky, { key: "n", failures: 1 }, { name: "welcome-email", retry: { initialBackoffMs: 10 } }),
        await p.enqueueAction(ctx, internal.fns.work, { key: "p", ms: 10 }),
      ]);
      expect(await t.run((ctx) => p.status(ctx, named))).toMatchObject({ state: "pending", name: "welcome-email" });
      await clock.drain();
      expect(await t.run((ctx) => p.status(ctx, named))).toMatchObject({ state: "finished", name: "welcome-email" });
      expect(await t.run((ctx) => p.status(ctx, plain))).toMatchObject({ state: "finished", name: "fns:work" });
      expect(logs.some((l) => l.includes("(welcome-email) attempt 1 failed"))).toBe(true);
    } finally {
      spy.mockRestore();
    }
    await expect(t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "x", ms: 1 }, { name: "" }))).rejects.toThrow(
      /enqueueAction: `name` must be a non-empty string/,
    );
  });
});

describe("onCompleteExcludeKinds", () => {
  test("onComplete is skipped for the excluded result kinds only", async () => {
    const t = setup();
    const p = new Workpool(components.jobs, { maxParallelism: 1 });
    const opts = { onComplete: internal.fns.done, onCompleteExcludeKinds: ["success", "canceled"] as const };
    const [ok, bad, canceled, all] = await t.run(async (ctx) => [
      await p.enqueueAction(ctx, internal.fns.work, { key: "ok", ms: 10 }, opts),
      await p.enqueueAction(ctx, internal.fns.work, { key: "bad", ms: 10, fail: true }, opts),
      await p.enqueueAction(ctx, internal.fns.work, { key: "canceled", ms: 10 }, { ...opts, runAfter: 60_000 }),
      await p.enqueueAction(ctx, internal.fns.work, { key: "all", ms: 10 }, { onComplete: internal.fns.done, onCompleteExcludeKinds: [] }),
    ]);
    await t.run((ctx) => p.cancel(ctx, canceled));
    await clock.drain();
    const called = (await t.query(api.fns.events, { kind: "done" })).map((e: any) => e.key);
    expect(called.sort()).toEqual([all, bad].sort());
    expect(await t.run((ctx) => p.status(ctx, ok))).toMatchObject({ result: { kind: "success" } });
    await expect(
      t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "x", ms: 1 }, { onComplete: internal.fns.done, onCompleteExcludeKinds: ["cancelled" as any] })),
    ).rejects.toThrow(/`onCompleteExcludeKinds` must be an array of "success", "failed", "canceled"; got "cancelled"/);
  });
});

describe("defineOnComplete", () => {
  test("defines an onComplete whose context and return value are validated and typed", async () => {
    const t = setup();
    const p = new Workpool(components.jobs, { maxParallelism: 2 });
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {}); // the refused context is logged
    onTestFinished(() => quiet.mockRestore());
    const [good, badContext, loose] = await t.run(async (ctx) => [
      await p.enqueueAction(ctx, internal.fns.work, { key: "g", ms: 10 }, { onComplete: internal.dropin.typedDone, context: { tag: "hello" } }),
      await p.enqueueAction(ctx, internal.fns.work, { key: "b", ms: 10 }, { onComplete: internal.dropin.typedDone, context: { tag: 42 } }),
      await p.enqueueAction(ctx, internal.fns.work, { key: "l", ms: 10, fail: true }, { onComplete: internal.dropin.looseDone }),
    ]);
    await clock.drain();
    const typed = await t.query(api.fns.events, { kind: "typed-done" });
    expect(typed.map((e: any) => [e.key, e.data])).toEqual([[good, { workId: good, tag: "hello", value: "done g", kind: "success" }]]);
    // A context that fails the validator: onComplete is refused, the error kept on the job.
    expect(await t.run((ctx) => p.status(ctx, badContext))).toMatchObject({ state: "finished", callbackError: expect.stringMatching(/Expected `string`, got `42`/) });
    expect((await t.query(api.fns.events, { kind: "loose-done" })).map((e: any) => [e.key, e.data.kind])).toEqual([[loose, "failed"]]);
    expect(() => p.defineOnComplete({} as any)).toThrow(/`handler` must be a function/);
  });
});

describe("enqueue and enqueueBatch", () => {
  test("free functions take the pool and the function's type", async () => {
    const t = setup();
    const p = new Workpool(components.jobs, { name: "free", maxParallelism: 2 });
    const ids = await t.run(async (ctx) => [
      await enqueue(p, ctx, "action", internal.fns.work, { key: "a", ms: 10 }, { onComplete: internal.fns.done, context: "a" }),
      await enqueue(p, ctx, "mutation", internal.fns.write, { key: "m" }),
      await enqueue(p, ctx, "query", internal.fns.read, { kind: "write" }),
      ...(await enqueueBatch(p, ctx, "mutation", internal.fns.write, [{ key: "b1" }, { key: "b2" }])),
    ]);
    await clock.drain();
    const results = (await t.run((ctx) => p.statusBatch(ctx, ids))).map((s: any) => s?.result);
    expect(results).toEqual([
      { kind: "success", returnValue: "done a" },
      { kind: "success", returnValue: 1 },
      { kind: "success", returnValue: expect.any(Number) },
      { kind: "success", returnValue: 2 },
      { kind: "success", returnValue: 2 },
    ]);
    expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ succeeded: 5 });
    await expect(t.run((ctx) => enqueue(p, ctx, "cron" as any, internal.fns.write, { key: "x" }))).rejects.toThrow(
      /enqueue: `fnType` must be "mutation", "action" or "query", got "cron"/,
    );
    await expect(t.run((ctx) => enqueueBatch(components.jobs as any, ctx, "mutation", internal.fns.write, []))).rejects.toThrow(
      /enqueueBatch\(pool, .*`pool` must be a Workpool/,
    );
  });
});

describe("configure", () => {
  test("raising the cap at runtime starts waiting jobs now; it wins over the constructor until reset", async () => {
    const t = setup();
    const p = new Workpool(components.jobs, { name: "cfg", maxParallelism: 1 });
    await t.run((ctx) => p.enqueueActionBatch(ctx, internal.fns.work, Array.from({ length: 6 }, (_, i) => ({ key: `c-${i}`, ms: 1000 }))));
    await clock.advance(100);
    expect(live.activeBy.get("c")).toBe(1);
    const config = await t.run((ctx) => p.configure(ctx, { maxParallelism: 3 }));
    expect(config).toEqual({ name: "cfg", maxParallelism: 3, retentionMs: 86_400_000, logLevel: "WARN", overrides: { maxParallelism: 3 } });
    await clock.advance(100); // long before the running job ends
    expect(live.activeBy.get("c")).toBe(3);
    // An enqueue through a Workpool constructed with the old cap does not undo the runtime value.
    await t.run((ctx) => p.enqueueActionBatch(ctx, internal.fns.work, Array.from({ length: 6 }, (_, i) => ({ key: `c-x${i}`, ms: 1000 }))));
    await clock.drain();
    expect(live.peakBy.get("c")).toBe(3);
    // Reset: the constructor's value applies again.
    expect(await t.run((ctx) => p.configure(ctx, { reset: true }))).toMatchObject({ maxParallelism: 1, overrides: {} });
    await t.run((ctx) => p.enqueueActionBatch(ctx, internal.fns.work, Array.from({ length: 3 }, (_, i) => ({ key: `r-${i}`, ms: 100 }))));
    await clock.drain();
    expect(live.peakBy.get("r")).toBe(1);
    await expect(t.run((ctx) => p.configure(ctx, { maxParallelism: -1 }))).rejects.toThrow(/`maxParallelism` must be an integer from 0 to 1000, got -1/);
    await expect(t.run((ctx) => p.configure(ctx, { maxParallelism: "5" as any }))).rejects.toThrow(/configure: `maxParallelism` must be a number, got "5"/);
  });
});

describe("ActionRetrier, as the official retrier is used", () => {
  const times = (key: string) => live.started.filter((s) => s.startsWith(`${key}#`)).map((s) => Number(s.split("@")[1]));
  const gaps = (xs: number[]) => xs.slice(1).map((x, i) => Math.round((x - xs[i]) / 10) * 10);

  test("per-run initialBackoffMs, base and maxFailures override the retrier's", async () => {
    const t = setup();
    const retrier = new ActionRetrier(components.jobs, { maxFailures: 0, jitter: "none" });
    const [custom, plain, byAttempts] = await t.run(async (ctx) => [
      await retrier.run(ctx, internal.fns.flaky, { key: "c", failures: 2 }, { initialBackoffMs: 1000, base: 3, maxFailures: 2, onComplete: internal.dropin.retrierDone }),
      await retrier.run(ctx, internal.fns.flaky, { key: "p", failures: 2 }),
      await retrier.run(ctx, internal.fns.flaky, { key: "a", failures: 9 }, { maxAttempts: 2, initialBackoffMs: 10 }),
    ]);
    await clock.drain();
    expect(gaps(times("c"))).toEqual([1000, 3000]);
    expect(await t.run((ctx) => retrier.status(ctx, custom))).toMatchObject({ attempt: 3, result: { kind: "success", returnValue: 3 } });
    expect(await t.run((ctx) => retrier.status(ctx, plain))).toMatchObject({ attempt: 1, result: { kind: "failed" } });
    expect(await t.run((ctx) => retrier.status(ctx, byAttempts))).toMatchObject({ attempt: 2, result: { kind: "failed" } });
    // The retrier's exported validators accept what onComplete receives.
    const done = await t.query(api.fns.events, { kind: "retrier-done" });
    expect(done.map((e: any) => [e.key, e.data])).toEqual([[custom, { kind: "success", returnValue: 3 }]]);
  });

  test("errors name the retrier and its options, never the pool it runs in", async () => {
    const t = setup();
    const retrier = new ActionRetrier(components.jobs);
    expect(() => new ActionRetrier(components.jobs, { maxFailures: -1 })).toThrow(/^new ActionRetrier: `maxFailures` must be an integer from 0 to 999, got -1/);
    expect(() => new ActionRetrier(components.jobs, { maxFailures: 1, maxAttempts: 2 })).toThrow(/new ActionRetrier: pass `maxFailures` or `maxAttempts`/);
    expect(() => new ActionRetrier(components.jobs, { maxParallelism: 0 })).toThrow(/^new ActionRetrier: `maxParallelism`/);
    expect(() => new ActionRetrier(components.jobs, { base: 0.5 })).toThrow(/^new ActionRetrier: `base` must be/);
    const run = (options: object) => t.run((ctx) => retrier.run(ctx, internal.fns.flaky, { key: "e", failures: 0 }, options as any));
    const errors = await Promise.all(
      [{ runAt: 1, runAfter: 1 }, { initialBackoffMs: -5 }, { maxFailures: 1.5 }, { retryIf: { messageMatches: ["("] } }].map((o) =>
        run(o).then(() => "no error", (e: Error) => e.message),
      ),
    );
    expect(errors[0]).toMatch(/^ActionRetrier "retrier"\.run: pass either `runAt` or `runAfter`/);
    expect(errors[1]).toMatch(/^ActionRetrier run: `initialBackoffMs` must be/);
    expect(errors[2]).toMatch(/^ActionRetrier run: `maxFailures` must be an integer/);
    expect(errors[3]).toMatch(/^ActionRetrier .*retryIf: `messageMatches\[0\]`/);
    for (const e of errors) expect(e).not.toMatch(/Workpool/);
  });

  test("finished runs are kept 7 days by default, as the official retrier's", async () => {
    const t = setup();
    const retrier = new ActionRetrier(components.jobs);
    const id = await t.run((ctx) => retrier.run(ctx, internal.fns.flaky, { key: "k", failures: 0 }));
    await clock.drain();
    await clock.advance(6 * 24 * 3600_000);
    expect(await t.run((ctx) => retrier.status(ctx, id))).toMatchObject({ state: "finished" });
    await clock.advance(2 * 24 * 3600_000);
    expect(await t.run((ctx) => retrier.status(ctx, id))).toBeNull();
  });
});

describe("log events", () => {
  /** Captures the JSON events printed while `fn` runs. */
  async function capture(fn: () => Promise<void>) {
    const events: any[] = [];
    const spy = vi.spyOn(console, "info").mockImplementation((line: unknown) => {
      if (typeof line === "string" && line.startsWith('{"event":"convex-jobs:')) events.push(JSON.parse(line));
    });
    try {
      await fn();
    } finally {
      spy.mockRestore();
    }
    return events;
  }

  test("job started, retry, finished and the pool report are single-line JSON at INFO", async () => {
    const t = setup();
    const p = new Workpool(components.jobs, { name: "ev", maxParallelism: 2, logLevel: "INFO" });
    let ids: string[] = [];
    const events = await capture(async () => {
      ids = await t.run((ctx) => p.enqueueActionBatch(ctx, internal.fns.work, [0, 1, 2].map((i) => ({ key: `ev-${i}`, ms: 1000 })), { name: "slow" }));
      ids.push(await t.run((ctx) => p.enqueueAction(ctx, internal.fns.flaky, { key: "ev-f", failures: 1 }, { retry: { initialBackoffMs: 500, jitter: "none" } })));
      await clock.drain();
    });
    const of = (name: string) => events.filter((e) => e.event === `convex-jobs:${name}`);
    const started = of("job.started");
    expect(started.map((e) => e.jobId).sort()).toEqual([...ids, ids[3]].sort()); // the flaky job starts twice
    expect(started.find((e) => e.jobId === ids[2])).toMatchObject({ pool: "ev", name: "slow", kind: "action", attempt: 1 });
    expect(started.find((e) => e.jobId === ids[2]).waitMs).toBeGreaterThanOrEqual(1000); // waited for a slot
    expect(of("job.retry")).toEqual([expect.objectContaining({ jobId: ids[3], attempt: 1, retryInMs: 500, error: "flaky ev-f attempt 1" })]);
    const finished = of("job.finished");
    expect(finished).toHaveLength(4);
    expect(finished.find((e) => e.jobId === ids[0])).toMatchObject({ name: "slow", outcome: "success", attempt: 1 });
    expect(Math.round(finished.find((e) => e.jobId === ids[0]).durationMs / 100)).toBe(10);
    expect(finished.find((e) => e.jobId === ids[3])).toMatchObject({ name: "fns:flaky", outcome: "success", attempt: 2 });
    const reports = of("pool.report");
    expect(reports[0]).toMatchObject({ pool: "ev", maxParallelism: 2, running: 2, backlog: 2 });
    expect(reports.at(-1)).toMatchObject({ backlog: 0, running: 0, succeeded: 4 }); // the pool went idle
    expect(reports.length).toBeLessThanOrEqual(3); // throttled: not one per dispatch run
  });

  test("nothing is printed below INFO", async () => {
    const t = setup();
    const p = new Workpool(components.jobs, { name: "quiet", maxParallelism: 1 });
    const events = await capture(async () => {
      await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "q", ms: 10 }));
      await clock.drain();
    });
    expect(events).toEqual([]);
  });
});

describe("configure: pause", () => {
  test("maxParallelism 0 pauses the pool: running jobs finish, nothing starts until the cap rises", async () => {
    const t = setup();
    const p = new Workpool(components.jobs, { name: "pause", maxParallelism: 2 });
    await t.run((ctx) => p.enqueueActionBatch(ctx, internal.fns.work, Array.from({ length: 6 }, (_, i) => ({ key: `z-${i}`, ms: 1000 }))));
    await clock.advance(100);
    await t.run((ctx) => p.configure(ctx, { maxParallelism: 0 }));
    await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "z-late", ms: 10 }));
    await clock.advance(60_000);
    expect(live.started).toHaveLength(2); // the two already running finished; nothing else started
    expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ pending: 5, running: 0, succeeded: 2 });
    await t.run((ctx) => p.configure(ctx, { maxParallelism: 3 }));
    await clock.drain();
    expect(live.peakBy.get("z")).toBe(3);
    expect(await t.run((ctx) => p.stats(ctx))).toMatchObject({ pending: 0, running: 0, succeeded: 7 });
  });
});
