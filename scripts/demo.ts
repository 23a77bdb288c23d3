/**
 * `npm run demo`: runs the example app (example/convex) in-process on convex-test, with no
 * account and no network, under a simulated clock. Each capability is a section: a function
 * that takes the shared context and shows one feature end to end. To add one, write a
 * `Section` and append it to SECTIONS at the bottom.
 */
import "./lib/alias.js"; // first: lets the example's `import ... from "convex-jobs"` load src/
import path from "node:path";
import { pathToFileURL } from "node:url";
import { anyApi, type FunctionReference } from "convex/server";
import type { JobStatus } from "../src/client/pool/types.js";
import { backoffMs, normalizeRetryPolicy } from "../src/shared/backoff.js";
import type { MigrationStatus } from "../src/shared/migrations.js";
import type { RetryPolicy } from "../src/shared/validators.js";
import { createApp, repoRoot, type App } from "./lib/app.js";
import { SimClock } from "./lib/clock.js";
import { getTally, observe, summarize } from "./lib/metrics.js";
import { onFunction } from "./lib/modules.js";
import { ProgressBlock, bar } from "./lib/progress.js";

/**
 * References to the example app's functions. `anyApi` rather than the example's generated `api`,
 * because importing that would pull the example into this package's typecheck, where the
 * `convex-jobs` name does not resolve (example/tsconfig.json maps it; `npm run typecheck` checks
 * the example on its own).
 */
const api = anyApi;

/** What every section gets: the app (example app + component) and the simulated clock. */
export interface DemoContext {
  t: App;
  clock: SimClock;
}

/** One part of the demo. */
export interface Section {
  title: string;
  run(ctx: DemoContext): Promise<void>;
}

type Counts = { pending: number; running: number; succeeded: number; failed: number; canceled: number };

/** A pool the work-pools section watches. */
interface WatchedPool {
  label: string;
  cap: number;
  total: number;
  statsFn: FunctionReference<"query">;
  /** The job function's name in the counts (module:function), to see it execute. */
  jobFn: string;
  last: Counts;
  /** Most slots the dispatcher held at once (stats.running, sampled after every event). */
  peakSlots: number;
  /** Most job functions executing at the same moment (instrumented). */
  executing: number;
  peakExecuting: number;
}

const COUNTER_INCREMENTS = 200;
const ITEMS = 150;
const ITEMS_PER_CALL = 50;

const workPools: Section = {
  title: "Work pools: a serialized counter (maxParallelism 1) and a fan-out over items (maxParallelism 5)",
  async run({ t, clock }) {
    const pools: WatchedPool[] = [
      pool("counter", 1, COUNTER_INCREMENTS, api.counters.stats, "app:counters:doIncrement"),
      pool("items", 5, ITEMS, api.fanout.stats, "app:fanout:processItem"),
    ];
    onFunction((name, event) => {
      for (const p of pools) {
        if (name !== p.jobFn) continue;
        p.executing += event === "enter" ? 1 : -1;
        p.peakExecuting = Math.max(p.peakExecuting, p.executing);
      }
    });

    const start = clock.now();
    // Every 10th item is negative: processItem throws for those, so they finish as failed.
    const inputs = Array.from({ length: ITEMS }, (_, i) => (i % 10 === 9 ? -(i + 1) : i + 1));
    for (let i = 0; i < ITEMS; i += ITEMS_PER_CALL) {
      await t.mutation(api.fanout.processItems, { batch: "demo", inputs: inputs.slice(i, i + ITEMS_PER_CALL) });
    }
    for (let i = 0; i < COUNTER_INCREMENTS; i++) await t.mutation(api.counters.increment, {});
    console.log(
      `  enqueued ${COUNTER_INCREMENTS} counter increments (one mutation job each) and ${ITEMS} items (one action job each, ~50 ms)\n`,
    );

    const progress = new ProgressBlock();
    const sample = async () => {
      for (const p of pools) {
        p.last = await observe(() => t.query(p.statsFn, {}));
        p.peakSlots = Math.max(p.peakSlots, p.last.running);
      }
    };
    const draw = (force = false) => progress.update(pools.map((p) => progressLine(p, clock.now() - start)), clock.now() - start, force);
    const elapsed = await clock.runUntil({
      onStep: async () => {
        await sample();
        draw();
      },
      done: async () => pools.every((p) => finished(p.last) >= p.total),
    });
    draw(true);

    for (const p of pools) {
      const peak = Math.max(p.peakSlots, p.peakExecuting);
      if (peak > p.cap) throw new Error(`pool "${p.label}" ran ${peak} jobs at once; its cap is ${p.cap}.`);
    }
    const counter = await observe(() => t.query(api.counters.get, {}));
    const items: { status: string }[] = await observe(() => t.query(api.fanout.items, { batch: "demo" }));
    const calls = summarize(getTally());
    console.log(`
  counter value      ${counter} (expected ${COUNTER_INCREMENTS}: increments ran one at a time, none lost)
  items              ${items.filter((i) => i.status === "done").length} done, ${items.filter((i) => i.status === "failed").length} failed (the negative inputs; recorded by onComplete)
  peak parallelism   counter ${pools[0].peakSlots}/1, items ${pools[1].peakSlots}/5 (never above the cap)
  simulated time     ${(elapsed / 1000).toFixed(2)} s
  function calls     ${calls.calls} (${calls.transactions} transactions + ${calls.actionRuns} action runs) for ${COUNTER_INCREMENTS + ITEMS} jobs`);
  },
};

function pool(label: string, cap: number, total: number, statsFn: FunctionReference<"query">, jobFn: string): WatchedPool {
  const last = { pending: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };
  return { label, cap, total, statsFn, jobFn, last, peakSlots: 0, executing: 0, peakExecuting: 0 };
}

function finished(c: Counts): number {
  return c.succeeded + c.failed + c.canceled;
}

function progressLine(p: WatchedPool, simMs: number): string {
  const c = p.last;
  const num = (n: number, w = 4) => String(n).padStart(w);
  return (
    `  ${p.label.padEnd(8)} [${bar(finished(c), p.total)}] pending ${num(c.pending)}  running ${num(c.running, 2)}` +
    `  done ${num(c.succeeded)}  failed ${num(c.failed, 3)}  peak ${p.peakSlots}/${p.cap}  t=${(simMs / 1000).toFixed(2)}s`
  );
}

// --- 2. Retries --------------------------------------------------------------------------------

/** What the retries section uses from example/convex/weather.ts (loaded at run time, see `api`). */
interface WeatherModule {
  flakiness(city: string): number;
  retrier: unknown;
  webhookPool: { options: { retry?: Partial<RetryPolicy> } };
}

/** The example app's own module (the same instance convex-test runs: one module cache). */
async function exampleModule<T>(file: string): Promise<T> {
  return (await import(pathToFileURL(path.join(repoRoot, "example/convex", file)).href)) as T;
}

/** Each fails flakiness(city) times first (0 to 3: this list has each); Atlantis never answers. */
const CITIES = ["Quito", "Tokyo", "Nairobi", "Reykjavik", "Lima", "Oslo", "Hanoi", "Atlantis"];
/** Webhook URLs: each answers with the listed HTTP statuses in turn (the last one repeats). */
const WEBHOOKS = ["https://x/200", "https://x/503,503,200", "https://x/429,200", "https://x/404", "https://x/500"];

/** One city's run, as the section follows it. */
interface CityRun {
  city: string;
  runId: string;
  /** Failed attempts already printed. */
  failuresShown: number;
  status: JobStatus | null;
  /** The attempt it should finish on, and how, from `flakiness`. */
  expected: { ok: boolean; attempt: number };
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

const retries: Section = {
  title: "Retries: a flaky weather API through the ActionRetrier, and a webhook pool with retry rules",
  async run({ t, clock }) {
    const weather = await exampleModule<WeatherModule>("weather.ts");
    // The retrier's policy, to show each delay's jitter range. `ActionRetrier` keeps its pool
    // private; the demo reads it anyway so the bound comes from the example, not from here.
    const retrierPool = (weather.retrier as { pool?: { options: { retry?: Partial<RetryPolicy> } } }).pool;
    if (!retrierPool) throw new Error("retries demo: ActionRetrier no longer has a `pool`; update the demo.");
    const policy = normalizeRetryPolicy(retrierPool.options.retry);
    const width = Math.max(...CITIES.map((c) => c.length));

    const start = clock.now();
    const runs: CityRun[] = [];
    for (const city of CITIES) {
      const runId: string = await t.mutation(api.weather.fetchWeather, { city });
      runs.push({ city, runId, failuresShown: 0, status: null, expected: expectedCity(city, weather.flakiness, policy.maxAttempts) });
    }
    console.log(
      `  started ${CITIES.length} runs; retry n waits up to ${policy.initialBackoffMs} ms x ${policy.base}^(n-1) (${policy.jitter} jitter), ` +
        `at most ${policy.maxAttempts} attempts\n`,
    );

    let attempts = 0;
    const report = (r: CityRun, s: JobStatus) => {
      const at = `  t=${secs(clock.now() - start).padStart(6)}  ${r.city.padEnd(width)}  `;
      // Failures not printed yet (normally one; a skipped step could hide more: print them all).
      // `attempt` counts attempts made while pending, and includes the current one otherwise.
      const failed = s.state === "pending" ? s.attempt : s.attempt - 1;
      for (let n = r.failuresShown + 1; n <= failed; n++) {
        const cause = s.lastError?.message ?? "?";
        if (s.state === "pending" && n === failed) {
          const wait = s.readyAt - clock.now();
          const cap = backoffMs(policy, n, () => 1);
          if (wait < 0 || wait > cap) throw new Error(`${r.city}: retry ${secs(wait)} after attempt ${n} is outside [0, ${secs(cap)}].`);
          console.log(`${at}attempt ${n} failed: ${cause} -> retry in ${secs(wait)} (jitter 0-${secs(cap)})`);
        } else {
          console.log(`${at}attempt ${n} failed: ${cause}`);
        }
      }
      r.failuresShown = Math.max(r.failuresShown, failed);
      if (s.state !== "finished") return;
      attempts += s.attempt;
      const res = s.result;
      if (res.kind === "success") console.log(`${at}succeeded on attempt ${s.attempt}: ${res.returnValue.tempC}°C`);
      else if (res.kind === "failed") {
        const how = s.lastError?.nonRetryable ? "failed permanently" : "gave up";
        console.log(`${at}${how} on attempt ${s.attempt}: ${res.error}`);
      } else console.log(`${at}canceled on attempt ${s.attempt}`);
    };

    const elapsed = await clock.runUntil({
      onStep: async () => {
        for (const r of runs) {
          if (r.status?.state === "finished") continue;
          const s: JobStatus | null = await observe(() => t.query(api.weather.runStatus, { runId: r.runId }));
          if (!s) throw new Error(`${r.city}: run ${r.runId} has no status.`);
          const changed = JSON.stringify(s) !== JSON.stringify(r.status);
          r.status = s;
          if (changed) report(r, s);
        }
      },
      done: async () => runs.every((r) => r.status?.state === "finished"),
      maxSimMs: 60_000,
    });

    // Check every outcome against the example's own flakiness, and the app's table against both.
    const rows: { city: string; status: string; tempC?: number }[] = await observe(() => t.query(api.weather.reports, {}));
    for (const r of runs) {
      const s = r.status as Extract<JobStatus, { state: "finished" }>;
      const ok = s.result.kind === "success";
      if (ok !== r.expected.ok || s.attempt !== r.expected.attempt) {
        throw new Error(
          `${r.city}: expected ${r.expected.ok ? "success" : "failure"} on attempt ${r.expected.attempt} (flakiness ${weather.flakiness(r.city)}), ` +
            `got ${s.result.kind} on attempt ${s.attempt}.`,
        );
      }
      const row = rows.find((x) => x.city === r.city);
      const want = ok ? "done" : "failed";
      const tempOk = !ok || (s.result.kind === "success" && row?.tempC === s.result.returnValue.tempC);
      if (row?.status !== want || !tempOk) throw new Error(`${r.city}: weather table has ${JSON.stringify(row)}, expected "${want}".`);
    }
    const ok = runs.filter((r) => r.expected.ok).length;
    console.log(`
  cities             ${ok} done, ${runs.length - ok} failed (as flakiness() predicts; onComplete recorded each in the weather table)
  attempts           ${attempts} for ${runs.length} cities, simulated time ${secs(elapsed)}`);

    // Webhooks: the pool's retry rules decide what is worth retrying.
    const hookStart = clock.now();
    const ids: string[] = await t.mutation(api.weather.deliverAll, { urls: WEBHOOKS });
    const hookPolicy = normalizeRetryPolicy(weather.webhookPool.options.retry);
    let statuses: (JobStatus | null)[] = [];
    let stats: Counts = { pending: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };
    const hookElapsed = await clock.runUntil({
      onStep: async () => {
        // `runStatus` reads the job itself (the example's retrier query works for any job id).
        statuses = await observe(() => Promise.all(ids.map((runId) => t.query(api.weather.runStatus, { runId }))));
        stats = await observe(() => t.query(api.weather.webhookStats, {}));
      },
      // A job finishes before the dispatcher folds it into the pool's counts: wait for both.
      done: async () => statuses.every((s) => s?.state === "finished") && stats.pending + stats.running === 0,
      maxSimMs: 120_000,
    });
    console.log(`\n  webhooks (pool "webhooks": retry 429 and 5xx, up to ${hookPolicy.maxAttempts} attempts; 429 waits its Retry-After)`);
    const urlWidth = Math.max(...WEBHOOKS.map((u) => u.length));
    for (const [i, url] of WEBHOOKS.entries()) {
      const s = statuses[i] as Extract<JobStatus, { state: "finished" }>;
      const want = expectedWebhook(url, hookPolicy.maxAttempts);
      const ok = s.result.kind === "success";
      const outcome = ok ? "delivered" : `failed (${s.result.kind === "failed" ? s.result.error : s.result.kind})`;
      const tries = `${s.attempt} attempt${s.attempt === 1 ? "" : "s"}`;
      console.log(`    ${url.padEnd(urlWidth)}  ${outcome} after ${tries}, at t=${secs(s.finishedAt - hookStart)}`);
      if (ok !== want.ok || s.attempt !== want.attempt) {
        throw new Error(`${url}: expected ${want.ok ? "delivery" : "failure"} on attempt ${want.attempt}, got ${s.result.kind} on attempt ${s.attempt}.`);
      }
      if (s.finishedAt - hookStart < want.minWaitMs) {
        throw new Error(`${url}: finished ${secs(s.finishedAt - hookStart)} after delivery started; its Retry-After asked for ${secs(want.minWaitMs)}.`);
      }
    }
    const delivered = WEBHOOKS.filter((u) => expectedWebhook(u, hookPolicy.maxAttempts).ok).length;
    if (stats.succeeded !== delivered || stats.failed !== WEBHOOKS.length - delivered) {
      throw new Error(`webhook pool stats ${JSON.stringify(stats)} do not match the deliveries.`);
    }
    console.log(
      `    pool stats: ${stats.succeeded} succeeded, ${stats.failed} failed, ${stats.pending} pending, ${stats.running} running` +
        `; simulated time ${secs(hookElapsed)}`,
    );
  },
};

/** How a city's run must end: the API fails `flakiness(city)` times; Atlantis fails for good. */
function expectedCity(city: string, flakiness: (city: string) => number, maxAttempts: number) {
  if (city.startsWith("Atlantis")) return { ok: false, attempt: 1 };
  const needed = flakiness(city) + 1;
  return needed <= maxAttempts ? { ok: true, attempt: needed } : { ok: false, attempt: maxAttempts };
}

/** How a delivery must end under the example's rule: 429 and 5xx are retried, other 4xx are not. */
function expectedWebhook(url: string, maxAttempts: number) {
  const codes = url.split("/").pop()!.split(",").map(Number);
  // A 429 throws RetryAfterError(2 s): the retry waits at least that long.
  let minWaitMs = 0;
  for (let n = 1; ; n++) {
    const code = codes[Math.min(n, codes.length) - 1];
    if (code < 400) return { ok: true, attempt: n, minWaitMs };
    const retryable = code === 429 || (code >= 500 && code < 600);
    if (!retryable || n >= maxAttempts) return { ok: false, attempt: n, minWaitMs };
    if (code === 429) minWaitMs += 2_000;
  }
}

// --- 3. Migrations -----------------------------------------------------------------------------

const USERS = 3_000;
const MIGRATION = "migrations:setDefaultRole";
/** Non-TTY output prints the bar each time progress crosses one of this many steps. */
const PROGRESS_STEPS = 5;

type RoleCounts = { total: number; none: number; member: number; admin: number };

const migrations: Section = {
  title: `Migrations: setDefaultRole over ${USERS.toLocaleString("en-US")} users, batch by batch`,
  async run({ t, clock }) {
    const seeded: number = await t.mutation(api.migrations.seedUsers, { count: USERS });
    const before = await countRoles(t);
    if (seeded !== USERS || before.total !== USERS) throw new Error(`seedUsers made ${before.total} users, asked for ${USERS}.`);
    console.log(
      `  seeded ${fmt(before.total)} users: ${fmt(before.none)} without a role, ${fmt(before.admin)} already migrated (admin)\n`,
    );

    // Batch transactions that ran: top-level calls of the define() export (the runner also calls
    // it nested, to ask it to describe itself; those are not batches and are not counted here).
    const batchRunCount = () => getTally().transactions[`app:${MIGRATION}`]?.calls ?? 0;
    const batchRunsAtStart = batchRunCount();

    const start = clock.now();
    const started: MigrationStatus[] = await t.mutation(api.migrations.run, { fn: MIGRATION });
    if (started[0]?.state !== "running") throw new Error(`run did not start ${MIGRATION}: ${JSON.stringify(started[0])}`);

    const progress = new ProgressBlock({ everySimMs: Infinity, blankLine: false });
    let status = started[0];
    let shownStep = -1;
    const elapsed = await clock.runUntil({
      onStep: async () => {
        status = await migrationStatus(t);
        // Non-TTY: a line each time progress passes a step; a TTY redraws on every batch anyway.
        const step = Math.floor((status.progress ?? 0) * PROGRESS_STEPS);
        progress.update([migrationLine(status, clock.now() - start)], clock.now() - start, step !== shownStep);
        shownStep = step;
      },
      done: async () => status.state !== "running",
      maxSimMs: 600_000,
    });
    const batchRuns = batchRunCount() - batchRunsAtStart;

    const after = await countRoles(t);
    const problems = [
      status.state !== "done" && `state is "${status.state}"${status.lastError ? ` (${status.lastError.message})` : ""}`,
      status.processed !== before.total && `processed ${status.processed}, the table has ${before.total}`,
      status.batches !== batchRuns && `status says ${status.batches} batches, ${batchRuns} batch transactions ran`,
      status.batches < Math.ceil(before.total / status.batchSize) && `${status.batches} batches of ${status.batchSize} cannot cover ${before.total}`,
      after.none !== 0 && `${after.none} users still have no role`,
      after.member !== before.member + before.none && `${after.member} members, expected ${before.member + before.none}`,
      after.admin !== before.admin && `admins went from ${before.admin} to ${after.admin}`,
    ].filter(Boolean);
    if (problems.length) throw new Error(`migration ${MIGRATION}: ${problems.join("; ")}.`);

    // Running a done migration again is a no-op: no batch runs, the status does not move.
    // Let anything it might have scheduled (a step, the watchdog) fire before looking again.
    const runsBefore = batchRunCount();
    const again: MigrationStatus[] = await t.mutation(api.migrations.run, { fn: MIGRATION });
    await clock.drainUntil(clock.now() + 60_000);
    const rerun = await migrationStatus(t);
    const rerunBatches = batchRunCount() - runsBefore;
    if (again[0]?.state !== "done" || rerun.state !== "done" || rerun.processed !== status.processed || rerun.batches !== status.batches || rerunBatches !== 0) {
      throw new Error(`re-running ${MIGRATION} was not a no-op: ${JSON.stringify(rerun)}, ${rerunBatches} batches ran.`);
    }

    console.log(`
  documents          ${fmt(status.processed)} processed in ${status.batches} batches of ${status.batchSize} (${fmt(before.none)} got role "member", ${fmt(after.admin)} admins untouched)
  simulated time     ${duration(elapsed)} (scheduling only: convex-test runs a transaction in no simulated time)
  run it again       state ${rerun.state}, processed ${fmt(rerun.processed)}, batches ${rerun.batches}: a no-op (${rerunBatches} batches ran)`);
  },
};

const fmt = (n: number) => n.toLocaleString("en-US");

async function migrationStatus(t: App): Promise<MigrationStatus> {
  const [s]: MigrationStatus[] = await observe(() => t.query(api.migrations.status, { fns: [MIGRATION] }));
  if (!s) throw new Error(`no status for ${MIGRATION}.`);
  return s;
}

/** Reads the users table directly (convex-test's `t.run`), to check the migration's effect. */
async function countRoles(t: App): Promise<RoleCounts> {
  return observe(() =>
    t.run(async (ctx) => {
      const users = await ctx.db.query("users").collect();
      const count = (role: string | undefined) => users.filter((u) => u.role === role).length;
      return { total: users.length, none: count(undefined), member: count("member"), admin: count("admin") };
    }),
  );
}

function migrationLine(s: MigrationStatus, simMs: number): string {
  const total = s.total ?? s.processed;
  const pct = s.progress === undefined ? "  ?%" : `${String(Math.floor(s.progress * 100)).padStart(3)}%`;
  const eta = s.state === "running" && s.etaMs !== undefined ? `eta ${duration(s.etaMs)}` : s.state;
  return (
    `  [${bar(s.processed, total)}] ${fmt(s.processed).padStart(6)}/${fmt(total)} ${pct}  batches ${String(s.batches).padStart(3)}` +
    `  ${eta.padEnd(11)}  t=${duration(simMs)}`
  );
}

/** Milliseconds under a second, seconds above. */
function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : secs(ms);
}

/** The demo, in order. Add sections here. */
const SECTIONS: Section[] = [workPools, retries, migrations];

async function main() {
  const wallStart = performance.now();
  console.log("convex-jobs demo: the example app on convex-test (in-memory Convex), simulated clock\n");
  for (const [i, section] of SECTIONS.entries()) {
    console.log(`${i + 1}. ${section.title}\n`);
    // Each section gets a fresh app and clock, so sections don't see each other's data.
    const clock = SimClock.install();
    try {
      const t = await createApp({ appDir: "example/convex" });
      await section.run({ t, clock });
    } finally {
      clock.uninstall();
    }
    console.log("");
  }
  console.log(`done in ${((performance.now() - wallStart) / 1000).toFixed(1)} s (real time)`);
}

await main();
