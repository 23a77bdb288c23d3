/**
 * Acceptance: the official @convex-dev/workpool and @convex-dev/action-retrier README examples
 * (this folder, import paths changed to "convex-jobs/workpool" and "convex-jobs/action-retrier")
 * run on convex-jobs in convex-test, with the official shapes: onComplete gets `{ workId, context,
 * result }` (ConvexError data in `errorData`) or `{ runId, result: { type } }`; `status` is
 * `{ state, previousAttempts }` or `{ type: "inProgress" | "completed" }`.
 * Runs in this repository (aliases to src/) and in scripts/first-hour.mjs's fresh app, against
 * the installed tarball; so it imports only what a user's app can.
 */
import { convexTest } from "convex-test";
import { register, withClock } from "convex-jobs/test";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api } from "./_generated/api";
import schema from "./schema";

const modules = import.meta.glob("./**/*.ts");
const MOUNTS = ["emailWorkpool", "scrapeWorkpool", "counterWorkpool", "actionRetrier"];

function setup() {
  const t = convexTest(schema, modules);
  for (const name of MOUNTS) register(t, { name, modules });
  return t;
}
type T = ReturnType<typeof setup>;
const table = <N extends "userEmailLog" | "emailStatus" | "counter" | "retrierLog">(t: T, name: N) =>
  t.run((ctx) => ctx.db.query(name).collect());

// The retrier README's callback logs each outcome with console.log: keep test output quiet.
beforeEach(() => void vi.spyOn(console, "log").mockImplementation(() => {}));
afterEach(() => vi.restoreAllMocks());

describe("the official workpool README, on convex-jobs/workpool", () => {
  test("onComplete gets { workId, context, result }; a failure enqueues a follow-up; errorData", () =>
    withClock(async (clock) => {
      const t = setup();
      const userId = await t.run((ctx) => ctx.db.insert("users", { name: "ada" }));
      await t.mutation(api.email.userSignUp, { name: "bob" });
      for (const title of ["hi", "fail", "bad address"]) {
        await t.mutation(api.email.sendEmailReliablyWithRetries, { emailType: "welcome", userId, title, body: "..." });
      }
      await clock.drain();
      const logs = await table(t, "userEmailLog");
      expect(logs.map((l) => [l.emailType, l.result, l.error])).toEqual([
        ["welcome", "sent hi", null],
        ["welcome", null, "provider down"],
        ["welcome", null, 'Invalid email address {"code":400}'],
      ]);
      // Each failure enqueued checkStatus, whose defineOnComplete handler got a string workId.
      expect((await table(t, "emailStatus")).map((s) => s.state)).toEqual(["bounced (string)", "bounced (string)"]);
    }));

  test("onCompleteExcludeKinds with a defineOnComplete handler", () =>
    withClock(async (clock) => {
      const t = setup();
      const userId = await t.run((ctx) => ctx.db.insert("users", { name: "ada" }));
      for (const title of ["hi", "fail"]) {
        await t.mutation(api.email.sendSkippingSuccess, { emailType: "digest", userId, title, body: "..." });
      }
      await clock.drain();
      const logs = await table(t, "userEmailLog");
      expect(logs.map((l) => [l.emailType, l.error])).toEqual([["digest via defineOnComplete", "provider down"]]);
    }));

  test("status is { state, previousAttempts }, then finished; cancel; cancelAll", () =>
    withClock(async (clock) => {
      const t = setup();
      const userId = await t.run((ctx) => ctx.db.insert("users", { name: "ada" }));
      const args = { emailType: "later", userId, title: "hi", body: "..." };
      const [a, b] = [await t.mutation(api.email.enqueueSend, args), await t.mutation(api.email.enqueueSend, args)];
      expect(await t.query(api.email.getStatus, { id: a })).toEqual({ state: "pending", previousAttempts: 0 });
      await t.mutation(api.email.cancelWork, { id: a });
      await t.action(api.email.cancelEverything, {});
      await clock.drain();
      expect(await t.query(api.email.getStatus, { id: a })).toEqual({ state: "finished" });
      expect(await t.query(api.email.getStatus, { id: b })).toEqual({ state: "finished" });
      expect(await table(t, "userEmailLog")).toEqual([]); // canceled: never sent, no onComplete
    }));

  test("a pool of one serializes the counter; the scrape pool takes batches", () =>
    withClock(async (clock) => {
      const t = setup();
      await t.run((ctx) => ctx.db.insert("counter", { count: 0 }));
      for (let i = 0; i < 5; i++) await t.action(api.counter.doSomethingAndCount, {});
      await t.mutation(api.scrape.downloadLatestWeather, {});
      await t.action(api.scrape.downloadBatch, {});
      await clock.drain();
      expect((await table(t, "counter"))[0].count).toBe(5);
      expect((await table(t, "retrierLog")).filter((r) => r.type === "scraped")).toHaveLength(10);
    }));
});

describe("the official action-retrier README, on convex-jobs/action-retrier", () => {
  test("run, per-run backoff, onComplete { runId, result: { type } }", () =>
    withClock(async (clock) => {
      const t = setup();
      await t.mutation(api.index.kickoffExampleAction, {});
      await t.action(api.index.kickoffWithOverrides, {});
      await t.action(api.index.kickoffWithCallback, {});
      await clock.drain();
      const log = await table(t, "retrierLog");
      expect(log.map((r) => [typeof r.runId, r.type, r.value])).toEqual([["string", "success", "ok 0.8"]]);
      expect(console.log).toHaveBeenCalledWith("Action succeeded with return value:", "ok 0.8");
    }));

  test("status polling until { type: completed }, cancel, cleanup", () =>
    withClock(async (clock) => {
      const t = setup();
      const waited = t.action(api.index.kickoffAndWait, {});
      const canceled = t.action(api.index.kickoffAndCancel, {});
      const cleaned = t.action(api.index.kickoffAndCleanup, {});
      await clock.drain();
      expect(await waited).toEqual({ type: "success", returnValue: expect.stringMatching(/^ok /) });
      await canceled;
      await cleaned;
      expect(console.log).toHaveBeenCalledWith("Run completed with result:", expect.objectContaining({ type: "success" }));
    }));
});
