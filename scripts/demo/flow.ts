/**
 * Demo section: flow control in the example app (example/convex/flow.ts): a per-user keyed pool,
 * a rate-limited model API with a 429, pause/resume, and debounce collapsing rapid enqueues.
 * Figures are taken from what the jobs logged, not from the pool's own claims.
 */
import { runUntil, type Clock } from "../lib/clock.js";
import { observe } from "../lib/metrics.js";
import type { App } from "../lib/app.js";
import { api, secs } from "./common.js";
import type { Section } from "./index.js";

type Sync = { userId: string; startedAt: number; endedAt: number };
type Call = { prompt: string; startedAt: number; status: number };

/** Most intervals overlapping at one moment. */
function maxOverlap(runs: { startedAt: number; endedAt: number }[]): number {
  const events = runs.flatMap((r) => [[r.startedAt, 1] as const, [r.endedAt, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, d] of events) peak = Math.max(peak, (now += d));
  return peak;
}

async function perUser(t: App, clock: Clock) {
  const backlog = { ana: 20, bo: 3, cy: 3, dee: 3 };
  const start = clock.now();
  for (const [userId, count] of Object.entries(backlog)) await t.mutation(api.flow.requestSyncs, { userId, count });
  const total = Object.values(backlog).reduce((a, b) => a + b, 0);
  await runUntil(clock, { done: async () => (await observe(() => t.query(api.flow.syncLog, {}))).length === total });
  const log: Sync[] = await observe(() => t.query(api.flow.syncLog, {}));
  console.log(`  per-user pool (maxParallelism 10, keyConcurrency 1): ana queued ${backlog.ana} syncs first, then bo, cy, dee 3 each`);
  for (const user of Object.keys(backlog)) {
    const mine = log.filter((s) => s.userId === user);
    console.log(
      `    ${user.padEnd(4)} ${String(mine.length).padStart(2)} syncs  first started at ${secs(mine[0].startedAt - start)}  ` +
        `last ended at ${secs(mine.at(-1)!.endedAt - start)}  max running ${maxOverlap(mine)}`,
    );
  }
  console.log(`    pool max running ${maxOverlap(log)} (ana's backlog did not hold the others up; each user one at a time)`);
}

async function rateLimited(t: App, clock: Clock) {
  const prompts = [...Array.from({ length: 22 }, (_, i) => `doc-${i}`), "busy-a", "busy-b"];
  const start = clock.now();
  await t.mutation(api.flow.summarizeAll, { prompts });
  await clock.advance(1_500);
  const mid = await observe(() => t.query(api.flow.modelPoolState, {}));
  await runUntil(clock, { done: async () => (await observe(() => t.query(api.flow.modelStats, {}))).succeeded === prompts.length });
  const calls: Call[] = await observe(() => t.query(api.flow.modelCalls, {}));
  const perSecond = new Map<number, number>();
  for (const c of calls) perSecond.set(Math.floor((c.startedAt - start) / 1000), (perSecond.get(Math.floor((c.startedAt - start) / 1000)) ?? 0) + 1);
  const seconds = [...perSecond.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}s:${n}`);
  const limited = calls.filter((c) => c.status === 429);
  console.log(`\n  rate-limited model pool (rateLimit 5 per second, bucket of 5): ${prompts.length} prompts`);
  console.log(`    starts per second   ${seconds.join(" ")}  (the full bucket's 5 at once, then one per 200 ms)`);
  console.log(`    at 1.5 s            running ${mid.running}, waiting ${mid.pending}, tokens ${mid.tokens.toFixed(2)}, next start at ${mid.nextEligibleAt === null ? "-" : secs(mid.nextEligibleAt - start)}`);
  console.log(`    429s                ${limited.map((c) => `${c.prompt} at ${secs(c.startedAt - start)}`).join(", ")}: back in line for 2 s, no attempt used`);
  console.log(`    all ${prompts.length} succeeded by ${secs(Math.max(...calls.map((c) => c.startedAt)) - start)} (${calls.length} API calls)`);
}

async function pauseResume(t: App, clock: Clock) {
  await t.mutation(api.flow.pauseModel, {});
  const before = (await observe(() => t.query(api.flow.modelCalls, {}))).length;
  await t.mutation(api.flow.summarizeAll, { prompts: ["p-1", "p-2", "p-3"] });
  await clock.advance(3_000);
  const paused = await observe(() => t.query(api.flow.modelPoolState, {}));
  const during = (await observe(() => t.query(api.flow.modelCalls, {}))).length - before;
  await t.mutation(api.flow.resumeModel, {});
  await runUntil(clock, { done: async () => (await observe(() => t.query(api.flow.modelCalls, {}))).length === before + 3 });
  console.log(`\n  pause: model pool paused, 3 prompts enqueued, 3 s later: ${during} started, inspect says paused=${paused.paused}, waiting ${paused.pending}`);
  console.log("         resumed: all 3 ran");
}

type Edit = { jobId: string; deduped: boolean };
type IndexRun = { docId: string; text: string; at: number };

/** `count` edits of `docId`, `gapMs` apart: what each enqueue returned. */
async function edit(t: App, clock: Clock, docId: string, count: number, gapMs: number): Promise<Edit[]> {
  const edits: Edit[] = [];
  for (let i = 1; i <= count; i++) {
    edits.push(await t.mutation(api.flow.noteEdit, { docId, text: `draft ${i}` }));
    if (i < count) await clock.advance(gapMs);
  }
  return edits;
}

async function debounced(t: App, clock: Clock) {
  const runsOf = async (docId: string): Promise<IndexRun[]> =>
    (await observe(() => t.query(api.flow.indexed, {}))).filter((r: IndexRun) => r.docId === docId);
  const summary = (edits: Edit[]) => `${edits.filter((e) => e.deduped).length} deduped, ${new Set(edits.map((e) => e.jobId)).size} job id(s)`;
  console.log("\n  debounce (search pool: 1 s after the last edit, at most 5 s after the first)");

  const start = clock.now();
  const burst = await edit(t, clock, "readme", 10, 200);
  const lastEdit = clock.now() - start;
  await runUntil(clock, { done: async () => (await runsOf("readme")).length > 0 });
  await clock.advance(3_000); // nothing else may run
  const readme = await runsOf("readme");
  console.log(
    `    a burst   10 edits 200 ms apart (last at ${secs(lastEdit)}): ${summary(burst)}; ` +
      `${readme.length} indexing run at ${readme.map((r) => secs(r.at - start)).join(", ")}, of "${readme.at(-1)?.text}"`,
  );

  const streamStart = clock.now();
  const stream = await edit(t, clock, "changelog", 40, 250);
  await clock.advance(3_000);
  const changelog = await runsOf("changelog");
  console.log(
    `    a stream  40 edits 250 ms apart (never 1 s quiet, ${secs(39 * 250)}): ${summary(stream)}; ` +
      `${changelog.length} runs at ${changelog.map((r) => secs(r.at - streamStart)).join(", ")} (maxWaitMs bounds the wait)`,
  );
}

export const flowControl: Section = {
  title: "Flow control: a per-user keyed pool, a rate-limited API, pause/resume, debounce",
  async run({ t, clock }) {
    await perUser(t, clock);
    await rateLimited(t, clock);
    await pauseResume(t, clock);
    await debounced(t, clock);
  },
};
