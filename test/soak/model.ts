/**
 * What the simulation knows about its jobs (the plan each was given, what happened to it) and
 * what it therefore expects of the pool.
 */
import type { ActionRetrier, JobId, Workpool } from "../../src/client/index.js";

export type Kind = "action" | "mutation" | "query";
/** How a job's planned failures fail (see test/app/sim.ts); "rateLimited" only in the flow soak. */
export type How = "error" | "nonRetryable" | "big" | "rateLimited";

export interface JobRecord {
  id: JobId;
  pool: string;
  key: string;
  kind: Kind;
  failures: number;
  how: How;
  /** Attempts its retry policy allows (1 without retries). */
  maxAttempts: number;
  callback: "none" | "good" | "bad";
  /** A killed run took one of its attempts: its outcome is not predictable, only its uniqueness. */
  faulted: boolean;
  /** It was canceled while not finished (cancel returned true, or cancelAll covered it). */
  canceled: boolean;
  /** The first final state seen: it must never change. */
  final?: { kind: string; attempt: number };
}

export interface PoolModel {
  name: string;
  /** The handles enqueues go through; a handle with another cap changes the pool's config. */
  handles: Workpool[];
  retrier?: ActionRetrier;
  /** Retries for jobs enqueued with `retry: true` (the retrier: every run). */
  maxAttempts: number;
  /** The cap in effect from each time on (the config of the last enqueue). */
  caps: { at: number; cap: number }[];
}

/** The counts `stats` must equal, from the jobs' states. */
export type Counts = { pending: number; running: number; succeeded: number; failed: number; canceled: number };

/** Faults injected and checks done, summed over scenarios for the README's figures. */
export class Tally {
  scenarios = 0;
  jobs = 0;
  /** Steps, each followed by every check. */
  steps = 0;
  faults: Record<string, number> = {};
  add(kind: string, n = 1) {
    this.faults[kind] = (this.faults[kind] ?? 0) + n;
  }
}

/**
 * The results a job may end with when no fault took one of its attempts (undefined: any). A
 * result too large to store fails its attempt; whether that attempt is retried (as a dead run
 * is) or fails the job at once (the same call would return the same size) is the component's
 * choice, so both are accepted.
 */
export function expectedOutcomes(job: JobRecord): { kind: string; attempt: number }[] | undefined {
  if (job.faulted || job.canceled) return undefined;
  if (job.failures === 0) return [{ kind: "success", attempt: 1 }];
  if (job.how === "nonRetryable") return [{ kind: "failed", attempt: 1 }];
  // Turned-away attempts use no retry: the job always succeeds, after them.
  if (job.how === "rateLimited") return [{ kind: "success", attempt: job.failures + 1 }];
  const retried =
    job.failures < job.maxAttempts ? { kind: "success", attempt: job.failures + 1 } : { kind: "failed", attempt: job.maxAttempts };
  return job.how === "big" ? [retried, { kind: "failed", attempt: 1 }] : [retried];
}

/** The highest cap in effect at any time in [from, to]: a job started under a cap since lowered may still run. */
export function capDuring(pool: PoolModel, from: number, to: number): number {
  let cap = 0;
  for (const [i, c] of pool.caps.entries()) {
    const until = pool.caps[i + 1]?.at ?? Infinity;
    if (c.at <= to && until >= from) cap = Math.max(cap, c.cap);
  }
  return cap;
}

/** Small deterministic PRNG (mulberry32): a seed replays a scenario exactly. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
  };
}
export type Rng = ReturnType<typeof rng>;
