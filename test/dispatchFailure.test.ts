/**
 * The dispatcher survives its own failure (issue 9). A dispatch run that throws (a bug, an
 * exceeded transaction limit) rolls back everything it wrote, the timer it armed included; the
 * pool must still resume within a bounded time, lose nothing, and log the failure.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import * as dispatch from "../src/component/pool/dispatch";
import { internal } from "./app/_generated/api.js";
import { live, resetLive } from "./app/fns.js";
import { pool, setup } from "./setup.js";
import { installClock, type Clock } from "../src/test.js";

type Handler = (ctx: unknown, args: unknown) => Promise<unknown>;
const run = dispatch.run as unknown as { _handler: Handler };
const real = run._handler;

/** Dispatch runs number `failing` (1-based, counted from now) do their work, then throw. */
function failRuns(failing: Set<number>) {
  let n = 0;
  run._handler = async (ctx, args) => {
    const result = await real(ctx, args);
    if (failing.has(++n)) throw new Error(`simulated: dispatch run ${n} exceeded a transaction limit`);
    return result;
  };
  return () => n;
}

let clock: Clock;
let errors: ReturnType<typeof vi.spyOn>;
beforeEach(async () => {
  clock = await installClock();
  resetLive();
  errors = vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(() => {
  run._handler = real;
  errors.mockRestore();
  clock.uninstall();
});

const logged = () => errors.mock.calls.map((c: unknown[]) => c.join(" ")).join("\n");
const doneEvents = (t: ReturnType<typeof setup>) =>
  t.run((ctx) => ctx.db.query("events").withIndex("by_kind", (q) => q.eq("kind", "done")).collect());

describe("a dispatch run that throws", () => {
  test("during a wave of mutation jobs (whose workers never wake the dispatcher): every job completes once", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 3 });
    const keys = Array.from({ length: 12 }, (_, i) => `m${i}`);
    // Runs 2 and 3 are the follow-ups that would collect the first wave and start the next.
    const runs = failRuns(new Set([2, 3]));
    const ids = await t.run((ctx) => p.enqueueMutationBatch(ctx, internal.fns.write, keys.map((key) => ({ key })), { onComplete: internal.fns.done }));
    await clock.advance(2_000);
    expect(runs()).toBeGreaterThan(3);
    expect(live.started.sort()).toEqual([...keys].sort());
    const statuses = await t.run((ctx) => p.statusBatch(ctx, ids));
    expect(statuses.every((s) => s?.state === "finished" && s.result.kind === "success")).toBe(true);
    expect((await doneEvents(t)).map((e) => e.key).sort()).toEqual([...ids].sort());
    expect(await t.run((ctx) => p.stats(ctx))).toEqual({ pending: 0, running: 0, succeeded: 12, failed: 0, canceled: 0 });
    expect(logged()).toMatch(/dispatch run for pool "test" failed \(1 in a row\): .*dispatch run 2 exceeded/);
    expect(logged()).toMatch(/\(2 in a row\).*retrying in 200 ms/);
  });

  test("while the pool is covered (every slot busy): the run a completion asked for fails, the pool still drains", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 2 });
    await t.run((ctx) => p.enqueueActionBatch(ctx, internal.fns.work, [{ key: "a1", ms: 1_000 }, { key: "a2", ms: 1_000 }]));
    await clock.advance(100);
    // Full pool: "covered", so this enqueue schedules nothing and counts on the completions' run.
    const later = await t.run((ctx) =>
      p.enqueueActionBatch(ctx, internal.fns.work, [{ key: "b1", ms: 1_000 }, { key: "b2", ms: 1_000 }], { onComplete: internal.fns.done }),
    );
    failRuns(new Set([1]));
    await clock.advance(3_000);
    expect(live.started.sort()).toEqual(["a1", "a2", "b1", "b2"]);
    const statuses = await t.run((ctx) => p.statusBatch(ctx, later));
    expect(statuses.map((s) => s?.state)).toEqual(["finished", "finished"]);
    expect(await doneEvents(t)).toHaveLength(2);
    expect(await t.run((ctx) => p.stats(ctx))).toEqual({ pending: 0, running: 0, succeeded: 4, failed: 0, canceled: 0 });
    expect(logged()).toMatch(/dispatch run for pool "test" failed/);
  });

  test("failing many times in a row: retries back off, and the pool resumes once a run succeeds", async () => {
    const t = setup();
    const p = pool({ maxParallelism: 1 });
    failRuns(new Set([1, 2, 3, 4, 5]));
    const [id] = await t.run((ctx) => p.enqueueAction(ctx, internal.fns.work, { key: "x", ms: 10 }).then((id) => [id]));
    // Retries after 100, 200, 400, 800 and 1,600 ms: the sixth run, 3.1 s in, starts the job.
    await clock.advance(3_000);
    expect(live.started).toEqual([]);
    await clock.advance(200);
    expect(live.started).toEqual(["x"]);
    await clock.advance(100);
    expect(await t.run((ctx) => p.status(ctx, id))).toMatchObject({ state: "finished", result: { kind: "success" } });
    expect(logged()).toMatch(/\(5 in a row\).*retrying in 1600 ms/);
  });

  test("a run over a transaction limit fails alone: nothing half-written, the failure logged, retried", async () => {
    // Lower a limit convex-test enforces so that the run (5 workers and a timer) exceeds it; the
    // shell, which schedules only the retry, stays within it.
    const t = setup({ transactionLimits: { functionsScheduled: 3 } });
    const p = pool({ maxParallelism: 5 });
    const ids = await t.run((ctx) => p.enqueueMutationBatch(ctx, internal.fns.write, Array.from({ length: 5 }, (_, i) => ({ key: `w${i}` }))));
    await clock.advance(1_000);
    expect(logged()).toMatch(/dispatch run for pool "test" failed \(1 in a row\): Scheduled too many functions/);
    expect(logged()).toMatch(/\(3 in a row\)/);
    const statuses = await t.run((ctx) => p.statusBatch(ctx, ids));
    expect(statuses.map((s) => [s?.state, s?.attempt])).toEqual(Array(5).fill(["pending", 0]));
    expect(live.started).toEqual([]);
  });
});
