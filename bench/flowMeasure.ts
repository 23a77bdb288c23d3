/**
 * The flow-control figures of a flow workload (bench/workloads.ts, `flow`), from the starts its
 * jobs recorded in process memory (bench/jobState.ts): how fairly keys were served, the most jobs
 * running at once per key, whether starts kept to the rate limit, how many jobs a run of
 * duplicate enqueues ran. Their targets are in bench/flowTargets.ts; docs/benchmark.md defines them.
 */
import { flowLog, type Start } from "./jobState.js";
import { FLOW_POOLS, rateLimitOf, type Workload } from "./workloads.js";

/** Concurrency keys: fairness and caps. */
export interface KeyFigures {
  /** Keys with jobs, and the key with the most jobs (the "big tenant"). */
  keys: number;
  bigKey: string;
  /** The per-key cap and the pool's cap. */
  keyCap: number;
  poolCap: number;
  /**
   * One round: the time the pool needs to give every key with jobs one turn, ceil(keys / pool
   * cap) job durations (null for zero-time mutation jobs). See docs/benchmark.md.
   */
  roundMs: number | null;
  /** When the last key's first job started, ms after the first enqueue. */
  lastFirstStartMs: number;
  /** Starts before the last key's first start, in all and of the big key. */
  startsBeforeLastFirst: number;
  bigStartsBeforeLastFirst: number;
  /** Whether some key had started more than `keyCap` jobs before every key had started one. */
  overtakenBeyondCap: boolean;
  /** The most jobs of one key running at once (action jobs; mutation jobs run one at a time here). */
  peakPerKey: number;
  peakBigKey: number;
}

/** A rate-limited pool: starts replayed against the bucket. */
export interface RateFigures {
  rate: number;
  periodMs: number;
  /** The bucket's lowest level when each start took its token (< 0: a start without a token). */
  minTokens: number;
  /** Most starts in any window of `periodMs`. */
  maxStartsPerPeriod: number;
  /** The last start, ms after the first enqueue. */
  lastStartMs: number;
}

export interface FlowFigures {
  starts: number;
  /** Most jobs running at once in the pool. */
  peakRunning: number;
  keys: KeyFigures | null;
  rate: RateFigures | null;
  /** Duplicate enqueues: how many there were and how many jobs ran. */
  dedupe: { enqueues: number; jobsRun: number } | null;
}

/** The flow figures of workload `w`, whose first enqueue was at simulated time `t0`. */
export function flowFigures(w: Workload, t0: number): FlowFigures | null {
  if (!w.flow) return null;
  const log = flowLog();
  const starts = [...log.starts].sort((a, b) => a.at - b.at);
  const pool = FLOW_POOLS[w.flow.pool];
  const limit = rateLimitOf(w.flow.pool);
  return {
    starts: starts.length,
    peakRunning: log.peak,
    keys: w.flow.keys ? keyFigures(w, starts, log.peakByKey, t0, pool) : null,
    rate: limit ? rateFigures(starts, limit, t0) : null,
    dedupe: w.flow.dedupeKey !== undefined ? { enqueues: w.jobs, jobsRun: starts.length } : null,
  };
}

function keyFigures(
  w: Workload,
  starts: Start[],
  peakByKey: ReadonlyMap<string, number>,
  t0: number,
  pool: { maxParallelism: number; keyConcurrency?: number },
): KeyFigures {
  const groups = w.flow!.keys!;
  const bigKey = groups.reduce((a, b) => (b.jobs > a.jobs ? b : a)).key;
  const keys = new Set(groups.map((g) => g.key)).size;
  const keyCap = pool.keyConcurrency ?? 1;
  const firstIndex = new Map<string, number>();
  starts.forEach((s, i) => {
    if (s.key !== null && !firstIndex.has(s.key)) firstIndex.set(s.key, i);
  });
  const lastFirst = Math.max(...firstIndex.values());
  const before = starts.slice(0, lastFirst);
  const perKey = new Map<string, number>();
  for (const s of before) perKey.set(s.key!, (perKey.get(s.key!) ?? 0) + 1);
  return {
    keys,
    bigKey,
    keyCap,
    poolCap: pool.maxParallelism,
    roundMs: w.durationMs ? Math.ceil(keys / pool.maxParallelism) * w.durationMs : null,
    lastFirstStartMs: starts[lastFirst].at - t0,
    startsBeforeLastFirst: lastFirst,
    bigStartsBeforeLastFirst: perKey.get(bigKey) ?? 0,
    overtakenBeyondCap: [...perKey.values()].some((n) => n > keyCap),
    peakPerKey: Math.max(...groups.map((g) => peakByKey.get(g.key) ?? 0)),
    peakBigKey: peakByKey.get(bigKey) ?? 0,
  };
}

/**
 * Replays the starts against a token bucket of `rate` per `periodMs`, full (capacity = rate) at
 * the first enqueue: each start takes one token; the lowest level reached says whether any start
 * went without one.
 */
function rateFigures(starts: Start[], { rate, periodMs }: { rate: number; periodMs: number }, t0: number): RateFigures {
  let tokens = rate;
  let at = t0;
  let minTokens = Infinity;
  let maxStartsPerPeriod = 0;
  let windowStart = 0;
  starts.forEach((s, i) => {
    tokens = Math.min(rate, tokens + ((s.at - at) * rate) / periodMs) - 1;
    at = s.at;
    minTokens = Math.min(minTokens, tokens);
    while (starts[windowStart].at <= s.at - periodMs) windowStart++;
    maxStartsPerPeriod = Math.max(maxStartsPerPeriod, i - windowStart + 1);
  });
  return { rate, periodMs, minTokens, maxStartsPerPeriod, lastStartMs: (starts.at(-1)?.at ?? t0) - t0 };
}
