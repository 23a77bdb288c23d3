/** Flow control in the example app (convex/flow.ts): per-user keys, a rate-limited API, pause. */
import { afterEach, beforeEach, expect, test } from "vitest";
import { api } from "../convex/_generated/api";
import { setup } from "./setup";
import { installClock, type Clock } from "convex-jobs/test";

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
});
afterEach(() => clock.uninstall());

test("per-user pool: a user's syncs never overlap, and a backlog does not hold up other users", async () => {
  const t = setup();
  await t.mutation(api.flow.requestSyncs, { userId: "ana", count: 5 });
  await t.mutation(api.flow.requestSyncs, { userId: "bo", count: 2 });
  await t.mutation(api.flow.requestSyncs, { userId: "cy", count: 1 });
  await clock.drain();
  const log = await t.query(api.flow.syncLog, {});
  expect(log).toHaveLength(8);
  for (const user of ["ana", "bo", "cy"]) {
    const mine = log.filter((s) => s.userId === user);
    for (let i = 1; i < mine.length; i++) expect(mine[i].startedAt).toBeGreaterThanOrEqual(mine[i - 1].endedAt);
  }
  // bo and cy start next to ana's first sync, not after her backlog.
  const firstOf = (user: string) => log.find((s) => s.userId === user)!.startedAt;
  const anaSecond = log.filter((s) => s.userId === "ana")[1].startedAt;
  expect(firstOf("bo")).toBeLessThan(anaSecond);
  expect(firstOf("cy")).toBeLessThan(anaSecond);
  expect(await t.query(api.flow.userQueue, { userId: "ana" })).toBeNull();
});

test("rate-limited API: starts stay within 5 per second, a 429 goes back in line without failing", async () => {
  const t = setup();
  const prompts = ["busy-1", ...Array.from({ length: 11 }, (_, i) => `doc-${i}`)];
  const started = Date.now();
  await t.mutation(api.flow.summarizeAll, { prompts });
  await clock.drain();
  const calls = await t.query(api.flow.modelCalls, {});
  expect(calls).toHaveLength(13); // 12 prompts, and busy-1 twice
  // A bucket of 5 tokens refilled one per 200 ms: the k-th start (from 0) needs k + 1 tokens.
  calls.forEach((c, k) => expect(c.startedAt - started).toBeGreaterThanOrEqual(Math.max(0, k - 4) * 200));
  const busy = calls.filter((c) => c.prompt === "busy-1");
  expect(busy.map((c) => c.status)).toEqual([429, 200]);
  expect(busy[1].startedAt - busy[0].startedAt).toBeGreaterThanOrEqual(2_000);
  expect(await t.query(api.flow.modelStats, {})).toMatchObject({ succeeded: 12, failed: 0, pending: 0, running: 0 });
});

test("pausing the model pool holds every call; resuming starts them", async () => {
  const t = setup();
  await t.mutation(api.flow.pauseModel, {});
  await t.mutation(api.flow.summarizeAll, { prompts: ["a", "b", "c"] });
  await clock.advance(5_000);
  expect(await t.query(api.flow.modelCalls, {})).toHaveLength(0);
  expect(await t.query(api.flow.modelPoolState, {})).toMatchObject({ paused: true, pending: 3, running: 0 });
  await t.mutation(api.flow.resumeModel, {});
  await clock.drain();
  expect(await t.query(api.flow.modelCalls, {})).toHaveLength(3);
  expect(await t.query(api.flow.modelPoolState, {})).toMatchObject({ paused: false, pending: 0 });
});

test("pausing one user holds only their syncs", async () => {
  const t = setup();
  await t.mutation(api.flow.pauseUser, { userId: "ana" });
  await t.mutation(api.flow.requestSyncs, { userId: "ana", count: 2 });
  await t.mutation(api.flow.requestSyncs, { userId: "bo", count: 1 });
  await clock.advance(1_000);
  expect((await t.query(api.flow.syncLog, {})).map((s) => s.userId)).toEqual(["bo"]);
  expect(await t.query(api.flow.userQueue, { userId: "ana" })).toMatchObject({ paused: true, pending: 2, running: 0 });
  await t.mutation(api.flow.resumeUser, { userId: "ana" });
  await clock.drain();
  expect((await t.query(api.flow.syncLog, {})).map((s) => s.userId)).toEqual(["bo", "ana", "ana"]);
});

test("debounced indexing: a burst of edits is one run of the latest text; a steady stream runs by maxWaitMs", async () => {
  const t = setup();
  const start = Date.now();
  const burst = [];
  for (let i = 1; i <= 5; i++) {
    burst.push(await t.mutation(api.flow.noteEdit, { docId: "readme", text: `draft ${i}` }));
    await clock.advance(200);
  }
  expect(burst.map((r) => r.deduped)).toEqual([false, true, true, true, true]);
  expect(new Set(burst.map((r) => r.jobId)).size).toBe(1);
  await clock.advance(400); // 0.6 s after the last edit (at 0.8 s): not yet
  expect(await t.query(api.flow.indexed, {})).toHaveLength(0);
  await clock.drain();
  const runs = await t.query(api.flow.indexed, {});
  expect(runs.map((r) => r.text)).toEqual(["draft 5"]);
  expect(runs[0].at - start).toBeGreaterThanOrEqual(1_800);

  // Edits 500 ms apart never leave 1 s quiet: the job still runs 5 s after the first.
  const streamStart = Date.now();
  for (let i = 1; i <= 12; i++) {
    await t.mutation(api.flow.noteEdit, { docId: "log", text: `entry ${i}` });
    await clock.advance(500);
  }
  await clock.drain();
  const log = (await t.query(api.flow.indexed, {})).filter((r) => r.docId === "log");
  expect(log.length).toBeGreaterThanOrEqual(2);
  expect(log[0].at - streamStart).toBeGreaterThanOrEqual(5_000);
  expect(log[0].at - streamStart).toBeLessThan(5_500);
  expect(log.at(-1)!.text).toBe("entry 12");
});
