/**
 * Retry policy defaults, validation and the backoff formula. One implementation serves pool jobs,
 * the standalone retrier and migrations.
 */
import type { RetryPolicy } from "./validators.js";
import { checkKeys } from "./validate.js";

/** Defaults: 5 attempts, 250 ms, doubling, capped at 5 minutes, full jitter. */
export const DEFAULT_RETRY_POLICY: Required<RetryPolicy> = {
  maxAttempts: 5,
  initialBackoffMs: 250,
  base: 2,
  maxBackoffMs: 5 * 60_000,
  jitter: "full",
};

/** The fields of a retry policy. */
export const RETRY_POLICY_KEYS = Object.keys(DEFAULT_RETRY_POLICY) as readonly (keyof RetryPolicy)[];

/** Largest accepted `maxAttempts`: beyond this, a job is better modelled as a schedule. */
export const MAX_ATTEMPTS_LIMIT = 1000;

/**
 * Fills defaults and validates. Throws an Error naming the field and the fix.
 * @param policy a partial policy from the user (unset fields take the defaults)
 * @param where what the policy is for, used in error messages (e.g. "Workpool 'emails' retry")
 */
export function normalizeRetryPolicy(
  policy: Partial<RetryPolicy> | undefined,
  where = "retry",
): Required<RetryPolicy> {
  checkKeys(policy, RETRY_POLICY_KEYS, where);
  const p = { ...DEFAULT_RETRY_POLICY, ...stripUndefined(policy ?? {}) };
  const bad = (field: string, want: string, got: unknown) =>
    new Error(`${where}: \`${field}\` must be ${want}, got ${String(got)}.`);
  if (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 1 || p.maxAttempts > MAX_ATTEMPTS_LIMIT) {
    throw bad("maxAttempts", `an integer from 1 to ${MAX_ATTEMPTS_LIMIT}`, p.maxAttempts);
  }
  if (!Number.isFinite(p.initialBackoffMs) || p.initialBackoffMs < 0) {
    throw bad("initialBackoffMs", "a finite number of milliseconds >= 0", p.initialBackoffMs);
  }
  if (!Number.isFinite(p.base) || p.base < 1) {
    throw bad("base", "a finite number >= 1 (2 doubles each delay)", p.base);
  }
  if (!Number.isFinite(p.maxBackoffMs) || p.maxBackoffMs < p.initialBackoffMs) {
    throw bad("maxBackoffMs", `a finite number >= initialBackoffMs (${p.initialBackoffMs})`, p.maxBackoffMs);
  }
  if (!["full", "proportional", "none"].includes(p.jitter)) {
    throw bad("jitter", `"full", "proportional" or "none"`, p.jitter);
  }
  return p;
}

/**
 * The delay before the next attempt, after `attempts` attempts have failed (attempts >= 1).
 * `random` is injectable so tests can pin jitter.
 */
export function backoffMs(
  policy: Required<RetryPolicy>,
  attempts: number,
  random: () => number = Math.random,
): number {
  const raw = policy.initialBackoffMs * Math.pow(policy.base, Math.max(0, attempts - 1));
  const delay = Math.min(policy.maxBackoffMs, raw);
  switch (policy.jitter) {
    case "full":
      return Math.round(random() * delay);
    case "proportional":
      return Math.round(delay * (0.5 + random()));
    default:
      return Math.round(delay);
  }
}

/** A copy of `o` without its undefined fields, so spreading it does not erase defaults. */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as Partial<T>;
}
