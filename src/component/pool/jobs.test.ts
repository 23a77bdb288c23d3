/**
 * Unit tests of `moved`: what a state change keeps and drops. A job has exactly the fields of its
 * state (./tables.ts), so leaving a state drops its fields without the caller naming them.
 * End to end, every move runs in test/pool.test.ts, test/retries.test.ts and test/dedupe.test.ts.
 */
import { describe, expect, test } from "vitest";
import type { Id } from "../_generated/dataModel.js";
import { ending, moved, type Job, type JobIn } from "./jobs.js";

const now = 1_000_000;
const pool = { retentionMs: 60_000 } as Parameters<typeof ending>[0];
const workerId = "w1" as Id<"_scheduled_functions">;

const base = {
  _id: "j1" as Id<"jobs">,
  _creationTime: now - 100,
  pool: "p1" as Id<"pools">,
  kind: "action" as const,
  fnHandle: "h",
  fnName: "fns:work",
  args: { n: 1 },
  readyAt: now - 50,
  rank: now - 50,
  attempt: 1,
  dedupeMode: "reject" as const,
};
const running: JobIn<"running"> = { ...base, state: "running", workerId, startedAt: now - 10, dedupeKey: "dedupe:a" };

describe("moved", () => {
  test("pending -> running: takes the worker and start, keeps the dedupe key and everything common", () => {
    const pending: Job = { ...base, state: "pending", attempt: 0, dedupeKey: "dedupe:a" };
    expect(moved(pending, "running", { attempt: 1, workerId, startedAt: now })).toEqual({
      ...base,
      state: "running",
      attempt: 1,
      workerId,
      startedAt: now,
      dedupeKey: "dedupe:a",
    });
  });

  test("running -> pending (a retry): drops the worker, keeps the last start and the key", () => {
    const lastError = { message: "boom" };
    const next = moved(running, "pending", { readyAt: now + 500, rank: undefined, lastError });
    expect(next).toEqual({ ...base, state: "pending", readyAt: now + 500, rank: undefined, lastError, startedAt: now - 10, dedupeKey: "dedupe:a" });
    expect("workerId" in next).toBe(false);
    expect("rank" in next).toBe(false);
  });

  test("running -> succeeded: the result and expiry in, the worker and dedupe key out", () => {
    const next = moved(running, "succeeded", ending(pool, now, { kind: "success", returnValue: 7 }));
    expect(next).toEqual({
      ...base,
      state: "succeeded",
      result: { kind: "success", returnValue: 7 },
      finishedAt: now,
      expiresAt: now + 60_000,
      startedAt: now - 10,
    });
  });

  test("running with a cancel requested -> canceled: keeps cancelRequested and the callback's error", () => {
    const requested: Job = { ...running, dedupeKey: undefined, cancelRequested: true, callbackError: "cb threw" };
    const next = moved(requested, "canceled", ending(pool, now, { kind: "canceled" }));
    expect(next).toMatchObject({ state: "canceled", cancelRequested: true, callbackError: "cb threw", result: { kind: "canceled" } });
    expect(Object.keys(next)).not.toContain("workerId");
  });

  test("running -> failed: cancelRequested is not a failed job's field", () => {
    const odd: Job = { ...running, cancelRequested: true };
    const next = moved(odd, "failed", { ...ending(pool, now, { kind: "failed", error: "x" }), lastError: { message: "x" } });
    expect(Object.keys(next)).not.toContain("cancelRequested");
  });
});
