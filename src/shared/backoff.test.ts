/**
 * Unit tests of the backoff formula, its jitter modes and the policy's normalization.
 */
import { describe, expect, test } from "vitest";
import { backoffMs, DEFAULT_RETRY_POLICY, MAX_ATTEMPTS_LIMIT, normalizeRetryPolicy } from "./backoff.js";
import type { RetryPolicy } from "./validators.js";

const policy = (p: Partial<RetryPolicy>) => normalizeRetryPolicy({ jitter: "none", ...p });
const fixed = (x: number) => () => x;

describe("backoffMs", () => {
  test("initialBackoffMs * base^(attempts - 1), without jitter", () => {
    const p = policy({ initialBackoffMs: 100, base: 3, maxBackoffMs: 1e9 });
    expect([1, 2, 3, 4].map((n) => backoffMs(p, n))).toEqual([100, 300, 900, 2700]);
  });

  test("base 1 keeps a constant delay", () => {
    const p = policy({ initialBackoffMs: 400, base: 1 });
    expect([1, 5, 50].map((n) => backoffMs(p, n))).toEqual([400, 400, 400]);
  });

  test("attempts below 1 count as the first", () => {
    const p = policy({ initialBackoffMs: 100 });
    expect(backoffMs(p, 0)).toBe(100);
    expect(backoffMs(p, -3)).toBe(100);
  });

  test("maxBackoffMs caps the delay, even when the power overflows", () => {
    const p = policy({ initialBackoffMs: 100, base: 2, maxBackoffMs: 1_000 });
    expect([4, 5, 6].map((n) => backoffMs(p, n))).toEqual([800, 1_000, 1_000]);
    expect(backoffMs(policy({ initialBackoffMs: 1, base: 10, maxBackoffMs: 5_000 }), 1000)).toBe(5_000);
  });

  test("rounds to whole milliseconds", () => {
    expect(backoffMs(policy({ initialBackoffMs: 10, base: 1.5 }), 2)).toBe(15);
    expect(backoffMs(policy({ initialBackoffMs: 10, base: 1.25 }), 2)).toBe(13);
  });

  test("full jitter spans 0 to the delay", () => {
    const p = policy({ initialBackoffMs: 1_000, jitter: "full" });
    expect(backoffMs(p, 2, fixed(0))).toBe(0);
    expect(backoffMs(p, 2, fixed(0.25))).toBe(500);
    expect(backoffMs(p, 2, fixed(0.999999))).toBe(2_000);
  });

  test("proportional jitter spans half to one and a half times the delay", () => {
    const p = policy({ initialBackoffMs: 1_000, jitter: "proportional" });
    expect(backoffMs(p, 2, fixed(0))).toBe(1_000);
    expect(backoffMs(p, 2, fixed(0.5))).toBe(2_000);
    expect(backoffMs(p, 2, fixed(0.999999))).toBe(3_000);
  });

  test("proportional jitter applies after the cap, so it may exceed maxBackoffMs by half", () => {
    const p = policy({ initialBackoffMs: 1_000, maxBackoffMs: 1_000, jitter: "proportional" });
    expect(backoffMs(p, 10, fixed(0.999999))).toBe(1_500);
  });

  test("no jitter ignores random", () => {
    const p = policy({ initialBackoffMs: 1_000, jitter: "none" });
    expect(backoffMs(p, 1, fixed(0))).toBe(1_000);
    expect(backoffMs(p, 1, fixed(0.9))).toBe(1_000);
  });

  test("with Math.random, each mode stays within its bounds", () => {
    const full = policy({ initialBackoffMs: 100, jitter: "full" });
    const prop = policy({ initialBackoffMs: 100, jitter: "proportional" });
    for (let i = 0; i < 200; i++) {
      const f = backoffMs(full, 3);
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThanOrEqual(400);
      const p = backoffMs(prop, 3);
      expect(p).toBeGreaterThanOrEqual(200);
      expect(p).toBeLessThanOrEqual(600);
    }
  });
});

describe("normalizeRetryPolicy", () => {
  test("with nothing given, the defaults: 5 attempts, 250 ms doubling up to 5 minutes, full jitter", () => {
    expect(normalizeRetryPolicy(undefined)).toEqual({
      maxAttempts: 5,
      initialBackoffMs: 250,
      base: 2,
      maxBackoffMs: 300_000,
      jitter: "full",
    });
    expect(normalizeRetryPolicy({})).toEqual(DEFAULT_RETRY_POLICY);
  });

  test("given fields override the defaults; undefined ones do not erase them", () => {
    expect(normalizeRetryPolicy({ maxAttempts: 3, base: undefined, jitter: "none" })).toEqual({
      ...DEFAULT_RETRY_POLICY,
      maxAttempts: 3,
      jitter: "none",
    });
  });

  test("does not modify its argument or the defaults", () => {
    const given = { maxAttempts: 2 };
    normalizeRetryPolicy(given);
    expect(given).toEqual({ maxAttempts: 2 });
    expect(DEFAULT_RETRY_POLICY.maxAttempts).toBe(5);
  });

  test("accepts the edge values", () => {
    expect(() => normalizeRetryPolicy({ maxAttempts: 1 })).not.toThrow();
    expect(() => normalizeRetryPolicy({ maxAttempts: MAX_ATTEMPTS_LIMIT })).not.toThrow();
    expect(() => normalizeRetryPolicy({ initialBackoffMs: 0, maxBackoffMs: 0, base: 1 })).not.toThrow();
  });

  const bad = (p: unknown, where?: string) => () => normalizeRetryPolicy(p as Partial<RetryPolicy>, where);

  test("maxAttempts must be an integer from 1 to the limit", () => {
    const msg = `retry: \`maxAttempts\` must be an integer from 1 to ${MAX_ATTEMPTS_LIMIT}`;
    expect(bad({ maxAttempts: 0 })).toThrow(`${msg}, got 0.`);
    expect(bad({ maxAttempts: 2.5 })).toThrow(`${msg}, got 2.5.`);
    expect(bad({ maxAttempts: MAX_ATTEMPTS_LIMIT + 1 })).toThrow(msg);
    expect(bad({ maxAttempts: "3" })).toThrow(msg);
  });

  test("initialBackoffMs must be finite and >= 0", () => {
    const msg = "retry: `initialBackoffMs` must be a finite number of milliseconds >= 0";
    expect(bad({ initialBackoffMs: -1 })).toThrow(`${msg}, got -1.`);
    expect(bad({ initialBackoffMs: Infinity })).toThrow(msg);
    expect(bad({ initialBackoffMs: NaN })).toThrow(msg);
  });

  test("base must be finite and >= 1", () => {
    expect(bad({ base: 0.5 })).toThrow("retry: `base` must be a finite number >= 1 (2 doubles each delay), got 0.5.");
    expect(bad({ base: Infinity })).toThrow("`base` must be a finite number >= 1");
  });

  test("maxBackoffMs must be finite and not below initialBackoffMs, which the message names", () => {
    expect(bad({ initialBackoffMs: 1_000, maxBackoffMs: 999 })).toThrow(
      "retry: `maxBackoffMs` must be a finite number >= initialBackoffMs (1000), got 999.",
    );
    // The default initialBackoffMs counts when only maxBackoffMs is given.
    expect(bad({ maxBackoffMs: 100 })).toThrow("`maxBackoffMs` must be a finite number >= initialBackoffMs (250), got 100.");
    expect(bad({ maxBackoffMs: Infinity })).toThrow("`maxBackoffMs` must be a finite number");
  });

  test("jitter must be one of the three modes", () => {
    expect(bad({ jitter: "random" })).toThrow('retry: `jitter` must be "full", "proportional" or "none", got random.');
  });

  test("an unknown field is refused with a suggestion", () => {
    expect(bad({ maxAttempt: 3 })).toThrow(/retry: unknown option `maxAttempt`; did you mean `maxAttempts`\?/);
  });

  test("a policy that is not an object is refused", () => {
    expect(bad(5)).toThrow("retry: expected an options object, got 5.");
  });

  test("error messages name the place given", () => {
    expect(bad({ maxAttempts: 0 }, "Workpool 'emails' retry")).toThrow(/^Workpool 'emails' retry: `maxAttempts`/);
  });
});
