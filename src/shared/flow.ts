/**
 * Flow control shared by the client and the component: priority levels, rate limits as token
 * buckets, and the checks both sides run on them. See the README, "Flow control".
 */
import { v, type Infer } from "convex/values";

/** How far a priority can move a job in the queue, either way: its wait stays bounded. */
export const MAX_BOOST_MS = 600_000;

/**
 * Named priorities and the boost each gives: a job sorts as if it became ready `boost` ms
 * earlier (positive) or later (negative). "normal" is what a job without a priority gets.
 */
export const PRIORITY_LEVELS = {
  highest: 600_000,
  high: 60_000,
  normal: 0,
  low: -60_000,
  lowest: -600_000,
} as const;
export type PriorityLevel = keyof typeof PRIORITY_LEVELS;

/**
 * A job's priority: a named level, or `{ boostMs }` from -600,000 to 600,000 (positive runs
 * sooner). It moves the job in the queue by that much time, never further, so nothing starves.
 */
export type Priority = PriorityLevel | { boostMs: number };

/** A token bucket on job starts: `rate` starts per `periodMs`, bursts up to `capacity`. */
export const vRateLimit = v.object({
  rate: v.number(),
  periodMs: v.number(),
  /** Most tokens the bucket holds (the largest burst). Default: `rate`. */
  capacity: v.optional(v.number()),
});
export type RateLimit = Infer<typeof vRateLimit>;

/** A bucket's level as last written: `tokens` at time `at`. */
export const vBucket = v.object({ tokens: v.number(), at: v.number() });
export type Bucket = Infer<typeof vBucket>;

/** Most jobs of one key that may run at once, when a pool does not say (`keyConcurrency`). */
export const DEFAULT_KEY_CONCURRENCY = 1;
/** Longest concurrency key, in characters. */
export const MAX_KEY_LENGTH = 1024;

/** The boost a priority gives, after checking it (throws naming `where`). */
export function boostOf(priority: unknown, where: string): number {
  if (typeof priority === "string" && priority in PRIORITY_LEVELS) return PRIORITY_LEVELS[priority as PriorityLevel];
  const boost = typeof priority === "object" && priority !== null ? (priority as { boostMs?: unknown }).boostMs : undefined;
  if (typeof boost === "number" && Number.isFinite(boost) && Math.abs(boost) <= MAX_BOOST_MS) return boost;
  throw new Error(
    `${where}: \`priority\` must be one of ${Object.keys(PRIORITY_LEVELS).map((l) => `"${l}"`).join(", ")} ` +
      `or { boostMs } with boostMs from ${-MAX_BOOST_MS} to ${MAX_BOOST_MS} (positive runs sooner), got ${JSON.stringify(priority)}.`,
  );
}

/** Checks a rate limit option (throws naming `name` and `where`). */
export function checkRateLimit(limit: unknown, name: string, where: string): RateLimit | undefined {
  if (limit === undefined) return undefined;
  const l = limit as Partial<RateLimit> | null;
  const example = `e.g. { rate: 10, periodMs: 1000 } for 10 starts per second`;
  if (typeof l !== "object" || l === null) throw new Error(`${where}: \`${name}\` must be { rate, periodMs, capacity? }, ${example}; got ${JSON.stringify(limit)}.`);
  const extra = Object.keys(l).filter((k) => !["rate", "periodMs", "capacity"].includes(k));
  if (extra.length) throw new Error(`${where}: \`${name}\` has unknown field(s) ${extra.join(", ")}; it takes rate, periodMs and capacity.`);
  if (typeof l.rate !== "number" || !(l.rate > 0) || !Number.isFinite(l.rate)) {
    throw new Error(`${where}: \`${name}.rate\` must be a number > 0 (starts per period), ${example}; got ${JSON.stringify(l.rate)}.`);
  }
  if (typeof l.periodMs !== "number" || !Number.isInteger(l.periodMs) || l.periodMs < 1) {
    throw new Error(`${where}: \`${name}.periodMs\` must be an integer number of ms >= 1, ${example}; got ${JSON.stringify(l.periodMs)}.`);
  }
  if (l.capacity !== undefined && (typeof l.capacity !== "number" || !(l.capacity >= 1) || !Number.isFinite(l.capacity))) {
    throw new Error(`${where}: \`${name}.capacity\` must be a number >= 1 (the largest burst), or left out for \`rate\`; got ${JSON.stringify(l.capacity)}.`);
  }
  return { rate: l.rate, periodMs: l.periodMs, ...(l.capacity !== undefined ? { capacity: l.capacity } : {}) };
}

/** Checks a concurrency key (throws naming `where`). */
export function checkKey(key: unknown, where: string): string {
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new Error(
      `${where}: \`key\` must be a non-empty string of at most ${MAX_KEY_LENGTH} characters (e.g. a user or tenant id), got ${JSON.stringify(key)}.`,
    );
  }
  return key;
}

function capacityOf(limit: RateLimit): number {
  return limit.capacity ?? limit.rate;
}

/** The bucket's tokens at `now`: what it held, refilled at `rate` per `periodMs`, up to capacity. */
export function tokensAt(limit: RateLimit, bucket: Bucket | undefined, now: number): number {
  if (!bucket) return capacityOf(limit);
  const refilled = bucket.tokens + (Math.max(0, now - bucket.at) * limit.rate) / limit.periodMs;
  return Math.min(capacityOf(limit), refilled);
}

/** The bucket after taking `n` tokens at `now` (the caller made sure they were there). */
export function take(limit: RateLimit, bucket: Bucket | undefined, n: number, now: number): Bucket {
  return { tokens: tokensAt(limit, bucket, now) - n, at: now };
}

/** When the bucket next holds a whole token (now, if it does). */
export function nextTokenAt(limit: RateLimit, bucket: Bucket | undefined, now: number): number {
  const tokens = tokensAt(limit, bucket, now);
  if (tokens >= 1) return now;
  return now + Math.ceil(((1 - tokens) * limit.periodMs) / limit.rate);
}

/** When the bucket is full again (from then on, forgetting it changes nothing). */
export function fullAt(limit: RateLimit, bucket: Bucket | undefined, now: number): number {
  const missing = capacityOf(limit) - tokensAt(limit, bucket, now);
  return missing <= 0 ? now : now + Math.ceil((missing * limit.periodMs) / limit.rate);
}
