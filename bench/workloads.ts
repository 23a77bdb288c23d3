/**
 * The work-pool workloads of `npm run bench`, and their ideal makespans. Every workload runs the
 * same jobs (bench/convex/jobs.ts) on each implementation it lists, through that implementation's
 * bench app (bench/convex/work.ts for convex-jobs, bench/official/work.ts for the official
 * components). Running one is bench/measure.ts, in a process of its own (bench/one.ts).
 */

/** The implementations the benchmark compares. */
export const IMPLEMENTATIONS = ["convex-jobs", "official"] as const;
export type Implementation = (typeof IMPLEMENTATIONS)[number];

/** What the official side is: the packages and versions it runs. */
export const OFFICIAL_PACKAGES = ["@convex-dev/workpool", "@convex-dev/action-retrier", "@convex-dev/batch-worker"];

/** A pool of the bench apps (bench/convex/work.ts, bench/official/work.ts). */
export type PoolName = "serial" | "p10" | "p50" | "retry10";

/**
 * The flow-control pools of our bench app (bench/convex/flow.ts builds them from this), which the
 * official components have no counterpart for. "p10" is the plain pool of bench/convex/work.ts.
 */
export const FLOW_POOLS = {
  p10: { maxParallelism: 10 },
  /** keys-fair: more slots (50) than the big tenant may use (2), fewer than the keys (101). */
  keys2: { maxParallelism: 50, keyConcurrency: 2 },
  rate10: { maxParallelism: 10, rateLimit: { rate: 10, periodMs: 1_000 } },
  /** A bucket that never runs dry on 1,000 jobs: what a rate limit costs when it does not throttle. */
  p10rate: { maxParallelism: 10, rateLimit: { rate: 100_000, periodMs: 1_000 } },
} as const satisfies Record<string, { maxParallelism: number; keyConcurrency?: number; rateLimit?: { rate: number; periodMs: number } }>;
export type FlowPoolName = keyof typeof FLOW_POOLS;

/** A feature a workload needs from the client that a branch may not have yet (bench/capabilities.ts). */
export type Capability = "dedupe";

/**
 * Flow control on a workload's jobs (ours only). Flow workloads run bench/convex/flow.ts's jobs,
 * which record every start in process memory (bench/jobState.ts) for the checks of
 * bench/flowTargets.ts; they cost what the plain jobs cost.
 */
export interface FlowSpec {
  pool: FlowPoolName;
  /** Concurrency keys: consecutive groups of jobs, in enqueue order (one enqueue call per group and batch). */
  keys?: { key: string; jobs: number }[];
  /** Every job gets this priority. */
  priority?: "high";
  /** Every enqueue is the same job with this dedupe key (mode "reject"): one job runs. */
  dedupeKey?: string;
  /** The plain workload that runs the same jobs without the feature: cost deltas are taken against it. */
  baseline?: string;
}

export interface Workload {
  name: string;
  /** One line for tables. */
  title: string;
  /**
   * "mutation": writeRow jobs; "action": actionJob jobs in a pool; "retrier": actionJob runs of
   * the standalone ActionRetrier.
   */
  kind: "mutation" | "action" | "retrier";
  jobs: number;
  /** The pool (mutation and action workloads; flow workloads name theirs in `flow.pool`). */
  pool?: PoolName;
  /** The pool's cap; null for the retrier (the official one has none; ours is a pool). */
  maxParallelism: number | null;
  /** Action jobs: how long each waits (simulated ms) before its mutation. */
  durationMs?: number;
  /** Action jobs: each fails this many attempts before succeeding (then retried). */
  failFirst?: number;
  /** Retried workloads: the nominal backoff before attempts 2, 3, ... (for the ideal). */
  backoffMs?: number[];
  /**
   * Streamed: an app mutation (the bench app's `produce`) enqueues `batch` jobs every `everyMs`
   * simulated ms while the pool works, scheduling itself for the next batch, instead of all of
   * them at time 0. Being a scheduled function, its enqueues can overlap the pool's transactions
   * in the conflict model.
   */
  stream?: { batch: number; everyMs: number };
  /** Which implementations run it (the 20,000-job scale check is ours only). */
  implementations: readonly Implementation[];
  /** Flow control (ours only; `pool` is then `flow.pool`). */
  flow?: FlowSpec;
  /** Skipped, with a note, when the client lacks this (bench/capabilities.ts). */
  needs?: Capability;
}

/** Why a workload is convex-jobs only, for tables. */
export const OURS_ONLY_FLOW = "convex-jobs (official: no such feature)";

const BOTH = IMPLEMENTATIONS;
const OURS = ["convex-jobs"] as const;

/**
 * keys-fair: one big tenant first in line, then 100 tenants of 10 jobs each. The big
 * tenant has 10,000 jobs; 1,000 (20 times the pool's cap) make the same point, since a key's jobs
 * beyond its cap are never read, in about a minute of wall time instead of 8 (convex-test scans
 * a table to answer an index query, so its time grows with the jobs table). `KEYS_FAIR_BIG=10000
 * npm run bench -- keys-fair` runs the size.
 */
const BIG_TENANT = Number(process.env.KEYS_FAIR_BIG ?? 1_000);
if (!Number.isInteger(BIG_TENANT) || BIG_TENANT < 1) {
  throw new Error(`KEYS_FAIR_BIG: the big tenant's job count must be a whole number >= 1, got ${process.env.KEYS_FAIR_BIG}`);
}
const TENANTS = [{ key: "big", jobs: BIG_TENANT }, ...Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, jobs: 10 }))];

export const WORKLOADS: Workload[] = [
  { name: "mut-1k-p1", title: "1,000 mutation jobs, p=1", kind: "mutation", jobs: 1_000, pool: "serial", maxParallelism: 1, implementations: BOTH },
  { name: "mut-1k-p10", title: "1,000 mutation jobs, p=10", kind: "mutation", jobs: 1_000, pool: "p10", maxParallelism: 10, implementations: BOTH },
  {
    name: "act-500-p10",
    title: "500 x 1 s actions, p=10",
    kind: "action",
    jobs: 500,
    pool: "p10",
    maxParallelism: 10,
    durationMs: 1_000,
    implementations: BOTH,
  },
  {
    name: "act-2k-p50",
    title: "2,000 x 1 s actions, p=50",
    kind: "action",
    jobs: 2_000,
    pool: "p50",
    maxParallelism: 50,
    durationMs: 1_000,
    implementations: BOTH,
  },
  // Streamed: an app mutation enqueues a batch, then schedules itself for the next one, while the
  // pool works. Actions arrive as fast as the pool can run them (p x 1 / 0.2 s per second).
  {
    name: "stream-act-500-p10",
    title: "500 x 0.2 s actions streamed (5 per 100 ms), p=10",
    kind: "action",
    jobs: 500,
    pool: "p10",
    maxParallelism: 10,
    durationMs: 200,
    stream: { batch: 5, everyMs: 100 },
    implementations: BOTH,
  },
  {
    name: "stream-act-2k-p50",
    title: "2,000 x 0.2 s actions streamed (25 per 100 ms), p=50",
    kind: "action",
    jobs: 2_000,
    pool: "p50",
    maxParallelism: 50,
    durationMs: 200,
    stream: { batch: 25, everyMs: 100 },
    implementations: BOTH,
  },
  {
    name: "stream-mut-1k-p10",
    title: "1,000 mutation jobs streamed (5 per 10 ms), p=10",
    kind: "mutation",
    jobs: 1_000,
    pool: "p10",
    maxParallelism: 10,
    stream: { batch: 5, everyMs: 10 },
    implementations: BOTH,
  },
  {
    name: "retry-300-p10",
    title: "300 x 1 s actions failing twice (3 attempts), p=10",
    kind: "action",
    jobs: 300,
    pool: "retry10",
    maxParallelism: 10,
    durationMs: 1_000,
    failFirst: 2,
    backoffMs: [1_000, 2_000],
    implementations: BOTH,
  },
  {
    name: "retrier-300",
    title: "ActionRetrier: 300 x 1 s runs failing twice",
    kind: "retrier",
    jobs: 300,
    maxParallelism: null,
    durationMs: 1_000,
    failFirst: 2,
    backoffMs: [1_000, 2_000],
    implementations: BOTH,
  },
  {
    name: "mut-20k-p10",
    title: "20,000 mutation jobs, p=10",
    kind: "mutation",
    jobs: 20_000,
    pool: "p10",
    maxParallelism: 10,
    implementations: ["convex-jobs"],
  },
  // Flow control (ours only: the official components have no such features). See docs/benchmark.md.
  {
    name: "keys-fair",
    title: `keys: 1 tenant x ${BIG_TENANT.toLocaleString("en-US")} + 100 tenants x 10, 0.1 s actions, per-key cap 2, p=50`,
    kind: "action",
    jobs: TENANTS.reduce((sum, t) => sum + t.jobs, 0),
    maxParallelism: 50,
    durationMs: 100,
    flow: { pool: "keys2", keys: TENANTS },
    implementations: OURS,
  },
  {
    name: "rate-10ps",
    title: "500 mutation jobs, rateLimit 10 per s, p=10",
    kind: "mutation",
    jobs: 500,
    maxParallelism: 10,
    flow: { pool: "rate10" },
    implementations: OURS,
  },
  {
    name: "dedupe-1k",
    title: "1,000 duplicate enqueues (dedupe reject), one mutation job runs, p=10",
    kind: "mutation",
    jobs: 1_000,
    maxParallelism: 10,
    flow: { pool: "p10", dedupeKey: "same" },
    needs: "dedupe",
    implementations: OURS,
  },
  {
    name: "mut-1k-p10-prio",
    title: "1,000 mutation jobs, p=10, priority on every job",
    kind: "mutation",
    jobs: 1_000,
    maxParallelism: 10,
    flow: { pool: "p10", priority: "high", baseline: "mut-1k-p10" },
    implementations: OURS,
  },
  {
    name: "mut-1k-p10-keys",
    title: "1,000 mutation jobs, p=10, 100 keys x 10 jobs",
    kind: "mutation",
    jobs: 1_000,
    maxParallelism: 10,
    flow: { pool: "p10", keys: Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, jobs: 10 })), baseline: "mut-1k-p10" },
    implementations: OURS,
  },
  {
    name: "mut-1k-p10-rate",
    title: "1,000 mutation jobs, p=10, rateLimit 100,000 per s (never throttles)",
    kind: "mutation",
    jobs: 1_000,
    maxParallelism: 10,
    flow: { pool: "p10rate", baseline: "mut-1k-p10" },
    implementations: OURS,
  },
];

/** Looks a workload up by name; throws naming the known ones. */
export function workloadNamed(name: string): Workload {
  const w = WORKLOADS.find((x) => x.name === name);
  if (!w) throw new Error(`Unknown workload "${name}". Known: ${WORKLOADS.map((x) => x.name).join(", ")}.`);
  return w;
}

/** The attempts each job makes (1 + the failures it is made to have). */
export function attemptsPerJob(w: Workload): number {
  return (w.failFirst ?? 0) + 1;
}

/** A flow pool's rate limit, if it has one. */
export function rateLimitOf(pool: FlowPoolName): { rate: number; periodMs: number } | undefined {
  const p = FLOW_POOLS[pool];
  return "rateLimit" in p ? p.rateLimit : undefined;
}

/**
 * The ideal makespan of `jobs` zero-time jobs behind a full token bucket (capacity = rate): the
 * first `rate` start at once, then one per token, so the last starts (jobs - rate) / rate periods
 * in, about jobs / rate periods.
 */
export function rateIdealMs(jobs: number, { rate, periodMs }: { rate: number; periodMs: number }): number {
  return (Math.max(0, jobs - rate) * periodMs) / rate;
}

/** When the last batch of a streamed workload is enqueued (ms after the first). */
function lastArrivalMs(w: Workload): number {
  return w.stream ? (Math.ceil(w.jobs / w.stream.batch) - 1) * w.stream.everyMs : 0;
}

/**
 * The ideal makespan of an action workload: the jobs' own time with no overhead at all. Jobs are
 * placed greedily, in arrival order, on `maxParallelism` slots (exact for equal durations); a job
 * waiting out a backoff holds no slot, so backoff only adds when it cannot be overlapped, i.e.
 * the ideal is at least one job's own chain of attempts and backoffs. No cap (the retrier): the
 * chain. Mutation jobs take no simulated time: streamed, the ideal is the last arrival; burst,
 * there is none (null).
 */
export function idealMs(w: Workload): number | null {
  const bucket = w.flow ? rateLimitOf(w.flow.pool) : undefined;
  if (bucket) return rateIdealMs(w.jobs, bucket);
  if (w.kind === "mutation") return w.stream ? lastArrivalMs(w) : null;
  const d = w.durationMs!;
  const attempts = attemptsPerJob(w);
  const chain = attempts * d + (w.backoffMs ?? []).slice(0, attempts - 1).reduce((a, b) => a + b, 0);
  if (w.maxParallelism === null) return chain;
  const slots = new Array<number>(w.maxParallelism).fill(0);
  let end = 0;
  for (let i = 0; i < w.jobs; i++) {
    const arrival = w.stream ? Math.floor(i / w.stream.batch) * w.stream.everyMs : 0;
    for (let a = 0; a < attempts; a++) {
      // Without a stream every attempt is queued at once: the throughput bound.
      const k = slots.indexOf(Math.min(...slots));
      slots[k] = Math.max(slots[k], arrival) + d;
      end = Math.max(end, slots[k]);
    }
  }
  return Math.max(end, chain);
}
