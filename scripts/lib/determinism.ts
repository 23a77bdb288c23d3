/**
 * Makes a benchmark process repeatable and quiet: a seeded `Math.random` (the official
 * components jitter their backoff and heartbeats with it, and cannot be told not to), and console
 * output kept in memory instead of printed (their default log levels print a line per job), to be
 * shown only if the run fails.
 */
import { format } from "node:util";

/** mulberry32: a small, fast, seedable generator; plenty for jitter. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Replaces `Math.random` with a generator seeded with `seed`. */
export function seedRandom(seed: number): void {
  Math.random = mulberry32(seed);
}

/**
 * Keeps the last `keep` lines written through `console.*` instead of printing them. Returns a
 * function giving those lines.
 */
export function captureConsole(keep = 200): () => string[] {
  const lines: string[] = [];
  const push = (...args: unknown[]) => {
    lines.push(format(...args));
    if (lines.length > keep) lines.shift();
  };
  for (const level of ["log", "info", "warn", "error", "debug", "trace"] as const) console[level] = push;
  return () => [...lines];
}
