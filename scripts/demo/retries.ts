/** Demo section 2: retries through the ActionRetrier, and a webhook pool with retry rules. */
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { JobStatus } from "../../src/client/pool/types.js";
import { backoffMs, normalizeRetryPolicy } from "../../src/shared/backoff.js";
import { ruleAllowsRetry, type RetryRule } from "../../src/shared/retryRules.js";
import type { RetryPolicy } from "../../src/shared/validators.js";
import { repoRoot } from "../lib/app.js";
import { runUntil } from "../lib/clock.js";
import { observe } from "../lib/metrics.js";
import { api, secs, type Counts } from "./common.js";
import type { DemoContext, Section } from "./index.js";

/** What the retries section uses from example/convex/weather.ts (loaded at run time, see `api` in common.ts). */
interface WeatherModule {
  flakiness(city: string): number;
  retrier: { policy: Required<RetryPolicy> };
}

/** What it uses from example/convex/webhooks.ts: the pool's retry policy and rule, the endpoints' answers. */
interface WebhooksModule {
  webhookPool: { options: { retry?: Partial<RetryPolicy>; retryIf?: RetryRule } };
  statusOnCall(url: string, n: number): number;
  RETRY_AFTER_MS: number;
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

export const retries: Section = {
  title: "Retries: a flaky weather API through the ActionRetrier, and a webhook pool with retry rules",
  async run(ctx) {
    await weatherRuns(ctx);
    await webhookDeliveries(ctx);
  },
};

/** Scenario 1: one retrier run per city; each attempt printed as it fails, every outcome checked. */
async function weatherRuns({ t, clock }: DemoContext) {
  const weather = await exampleModule<WeatherModule>("weather.ts");
  // The retrier's policy, to show each delay's jitter range (from the example, not from here).
  const policy = weather.retrier.policy;
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

  const elapsed = await runUntil(clock, {
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

  const rows: WeatherRow[] = await observe(() => t.query(api.weather.reports, {}));
  checkCities(runs, rows, weather.flakiness);
  const ok = runs.filter((r) => r.expected.ok).length;
  console.log(`
  cities             ${ok} done, ${runs.length - ok} failed (as flakiness() predicts; onComplete recorded each in the weather table)
  attempts           ${attempts} for ${runs.length} cities, simulated time ${secs(elapsed)}`);
}

/** A row of the example's weather table. */
type WeatherRow = { city: string; status: string; tempC?: number };

/** Checks every run's outcome against the example's own flakiness, and the app's table against both. */
function checkCities(runs: CityRun[], rows: WeatherRow[], flakiness: (city: string) => number) {
  for (const r of runs) {
    const s = r.status as Extract<JobStatus, { state: "finished" }>;
    const ok = s.result.kind === "success";
    if (ok !== r.expected.ok || s.attempt !== r.expected.attempt) {
      throw new Error(
        `${r.city}: expected ${r.expected.ok ? "success" : "failure"} on attempt ${r.expected.attempt} (flakiness ${flakiness(r.city)}), ` +
          `got ${s.result.kind} on attempt ${s.attempt}.`,
      );
    }
    const row = rows.find((x) => x.city === r.city);
    const want = ok ? "done" : "failed";
    const tempOk = !ok || (s.result.kind === "success" && row?.tempC === s.result.returnValue.tempC);
    if (row?.status !== want || !tempOk) throw new Error(`${r.city}: weather table has ${JSON.stringify(row)}, expected "${want}".`);
  }
}

/** Scenario 2: deliveries through the webhook pool, whose retry rule decides what is worth retrying. */
async function webhookDeliveries({ t, clock }: DemoContext) {
  const webhooks = await exampleModule<WebhooksModule>("webhooks.ts");
  const hookStart = clock.now();
  const ids: string[] = await t.mutation(api.webhooks.deliverAll, { urls: WEBHOOKS });
  const hookPolicy = normalizeRetryPolicy(webhooks.webhookPool.options.retry);
  const expectedWebhook = (url: string) => expectedDelivery(url, hookPolicy.maxAttempts, webhooks);
  let statuses: (JobStatus | null)[] = [];
  let stats: Counts = { pending: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };
  const hookElapsed = await runUntil(clock, {
    onStep: async () => {
      statuses = await observe(() => Promise.all(ids.map((jobId) => t.query(api.webhooks.deliveryStatus, { jobId }))));
      stats = await observe(() => t.query(api.webhooks.webhookStats, {}));
    },
    // A job finishes before the dispatcher folds it into the pool's counts: wait for both.
    done: async () => statuses.every((s) => s?.state === "finished") && stats.pending + stats.running === 0,
    maxSimMs: 120_000,
  });
  const rule = JSON.stringify(webhooks.webhookPool.options.retryIf);
  console.log(`\n  webhooks (pool "webhooks": retryIf ${rule}, up to ${hookPolicy.maxAttempts} attempts; 429 waits its Retry-After)`);
  const urlWidth = Math.max(...WEBHOOKS.map((u) => u.length));
  for (const [i, url] of WEBHOOKS.entries()) {
    const s = statuses[i] as Extract<JobStatus, { state: "finished" }>;
    const want = expectedWebhook(url);
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
  const delivered = WEBHOOKS.filter((u) => expectedWebhook(u).ok).length;
  if (stats.succeeded !== delivered || stats.failed !== WEBHOOKS.length - delivered) {
    throw new Error(`webhook pool stats ${JSON.stringify(stats)} do not match the deliveries.`);
  }
  console.log(
    `    pool stats: ${stats.succeeded} succeeded, ${stats.failed} failed, ${stats.pending} pending, ${stats.running} running` +
      `; simulated time ${secs(hookElapsed)}`,
  );
}

/** How a city's run must end: the API fails `flakiness(city)` times; Atlantis fails for good. */
function expectedCity(city: string, flakiness: (city: string) => number, maxAttempts: number) {
  if (city.startsWith("Atlantis")) return { ok: false, attempt: 1 };
  const needed = flakiness(city) + 1;
  return needed <= maxAttempts ? { ok: true, attempt: needed } : { ok: false, attempt: maxAttempts };
}

/**
 * How a delivery must end: the endpoint answers as the example says (`statusOnCall`), and the
 * pool's own rule (`retryIf`, evaluated as the component does) decides which failures are retried.
 */
function expectedDelivery(url: string, maxAttempts: number, webhooks: WebhooksModule) {
  // A 429 throws RetryAfterError: the retry waits at least that long.
  let minWaitMs = 0;
  for (let n = 1; ; n++) {
    const status = webhooks.statusOnCall(url, n);
    if (status < 400) return { ok: true, attempt: n, minWaitMs };
    const error = { message: `HTTP ${status}`, data: { status } };
    if (!ruleAllowsRetry(webhooks.webhookPool.options.retryIf, error) || n >= maxAttempts) {
      return { ok: false, attempt: n, minWaitMs };
    }
    if (status === 429) minWaitMs += webhooks.RETRY_AFTER_MS;
  }
}
