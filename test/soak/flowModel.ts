/**
 * What the flow-control simulation (./flowScenario.ts) knows beyond the plain one: each pool's
 * flow config and pause history, each job's concurrency key and place in line, and the token
 * bucket replay that starts must conform to.
 */
import type { RateLimit } from "../../src/client/index.js";
import type { JobRecord, PoolModel } from "./model.js";

/**
 * An attempt the dispatcher started, from its `job.started` event (pools log at INFO): the
 * dispatcher's own time, unlike the job function's, which runs a scheduler hop (1 ms of
 * simulated time) or two later.
 */
export interface Dispatched {
  pool: string;
  jobId: string;
  attempt: number;
  at: number;
}

/** The start in a console.info call, if it printed a `job.started` event. */
export function parseStarted(args: unknown[]): Dispatched | null {
  const line = args[0];
  if (typeof line !== "string" || !line.includes('"convex-jobs:job.started"')) return null;
  const { pool, jobId, attempt } = JSON.parse(line) as Dispatched;
  return { pool, jobId, attempt, at: Date.now() };
}

/** A stretch of time a pool or a key was paused: from the pause call to the resume call (Infinity: not yet). */
export interface Pause {
  /** Simulated time of the call, and how many dispatcher starts were recorded before it. */
  at: number;
  startsBefore: number;
  until: number;
  startsUntil: number;
}

export interface FlowPool extends PoolModel {
  keyConcurrency: number;
  rateLimit?: RateLimit;
  keyRateLimit?: RateLimit;
  /** The concurrency keys its jobs draw from. */
  keySet: string[];
  pauses: Pause[];
  keyPauses: Map<string, Pause[]>;
}

export interface FlowJob extends JobRecord {
  /** Its concurrency key, if any. */
  group?: string;
  boostMs: number;
  /** When its first attempt became ready (from its document right after enqueue). */
  readyAt: number;
  /** Dispatcher starts recorded before it was enqueued: later ones came from runs that could see it. */
  startsBefore: number;
}

/** Whether the pool or key is paused now (its last pause not resumed). */
export function isPaused(pauses: Pause[] | undefined): boolean {
  return pauses?.at(-1)?.until === Infinity;
}

/** Records a pause or a resume at `at` (no-op if it is one already). */
export function togglePause(pauses: Pause[], paused: boolean, at: number, starts: number) {
  if (isPaused(pauses) === paused) return;
  if (paused) pauses.push({ at, startsBefore: starts, until: Infinity, startsUntil: Infinity });
  else Object.assign(pauses.at(-1)!, { until: at, startsUntil: starts });
}

/**
 * Every start found a token in a bucket of `limit`, full at the first start, refilling at
 * `rate` per `periodMs` up to `capacity` (default `rate`). Returns the first start that did not,
 * as its index in time order, or -1.
 */
export function bucketOverdraw(times: number[], limit: RateLimit): number {
  const capacity = limit.capacity ?? limit.rate;
  const sorted = [...times].sort((a, b) => a - b);
  let tokens = capacity;
  let last = sorted[0] ?? 0;
  for (const [i, t] of sorted.entries()) {
    tokens = Math.min(capacity, tokens + ((t - last) * limit.rate) / limit.periodMs) - 1;
    last = t;
    if (tokens < -1e-6) return i;
  }
  return -1;
}

/** Every start found a token in a bucket of `limit` (full at the first start). */
export function conformsToBucket(times: number[], limit: RateLimit): boolean {
  return bucketOverdraw(times, limit) === -1;
}
