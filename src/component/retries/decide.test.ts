/**
 * Unit tests of decideRetry's order of precedence, with jitter pinned by a fixed `random`.
 * End-to-end retry behaviour is in test/retries.test.ts.
 */
import { describe, expect, test } from "vitest";
import type { Doc } from "../_generated/dataModel.js";
import type { JobError } from "../../shared/validators.js";
import { decideRetry } from "./decide.js";

/** The fields of a job that decideRetry reads; the rest do not matter to it. */
type RetryFields = Pick<Doc<"jobs">, "attempt" | "retry" | "retryIf">;
const job = (fields: RetryFields) => fields as Doc<"jobs">;

const policy = { maxAttempts: 3, initialBackoffMs: 1_000, base: 2, maxBackoffMs: 60_000, jitter: "none" as const };
const boom: JobError = { message: "boom" };
const half = () => 0.5;

describe("decideRetry", () => {
  test("a job without a retry policy is not retried", () => {
    expect(decideRetry(job({ attempt: 1 }), boom, half)).toEqual({ retry: false });
    expect(decideRetry(job({ attempt: 1, retry: null }), boom, half)).toEqual({ retry: false });
  });

  test("a job without a policy is not retried even when the error asks for a delay", () => {
    expect(decideRetry(job({ attempt: 1 }), { message: "later", retryAfterMs: 5 }, half)).toEqual({ retry: false });
  });

  test("retries while attempts remain, and stops once maxAttempts have been made", () => {
    expect(decideRetry(job({ attempt: 1, retry: policy }), boom, half).retry).toBe(true);
    expect(decideRetry(job({ attempt: 2, retry: policy }), boom, half).retry).toBe(true);
    expect(decideRetry(job({ attempt: 3, retry: policy }), boom, half)).toEqual({ retry: false });
    expect(decideRetry(job({ attempt: 4, retry: policy }), boom, half)).toEqual({ retry: false });
  });

  test("used-up attempts win over a RetryAfterError", () => {
    const later: JobError = { message: "later", retryAfterMs: 10 };
    expect(decideRetry(job({ attempt: 3, retry: policy }), later, half)).toEqual({ retry: false });
  });

  test("a stored policy without jitter or maxBackoffMs takes the defaults (full jitter, 5 minutes)", () => {
    const bare = { maxAttempts: 30, initialBackoffMs: 1_000, base: 2 };
    expect(decideRetry(job({ attempt: 2, retry: bare }), boom, () => 0.25)).toEqual({ retry: true, delayMs: 500 });
    expect(decideRetry(job({ attempt: 20, retry: bare }), boom, () => 0.5)).toEqual({ retry: true, delayMs: 150_000 });
  });

  test("a NonRetryableError is not retried, with attempts left", () => {
    expect(decideRetry(job({ attempt: 1, retry: policy }), { message: "bad input", nonRetryable: true }, half)).toEqual({
      retry: false,
    });
  });

  test("a job's retryIf that does not match the error stops retries", () => {
    const retryIf = { messageMatches: ["timeout"] };
    expect(decideRetry(job({ attempt: 1, retry: policy, retryIf }), boom, half)).toEqual({ retry: false });
    expect(decideRetry(job({ attempt: 1, retry: policy, retryIf }), { message: "timeout" }, half).retry).toBe(true);
  });

  test("retryIf saying no wins over a RetryAfterError's delay", () => {
    const retryIf = { neverIf: { dataMatches: [{ status: 401 }] } };
    const error: JobError = { message: "unauthorized", data: { status: 401 }, retryAfterMs: 10 };
    expect(decideRetry(job({ attempt: 1, retry: policy, retryIf }), error, half)).toEqual({ retry: false });
  });

  test("a RetryAfterError's delay replaces the backoff, even a zero one", () => {
    expect(decideRetry(job({ attempt: 2, retry: policy }), { message: "later", retryAfterMs: 7_500 }, half)).toEqual({
      retry: true,
      delayMs: 7_500,
    });
    expect(decideRetry(job({ attempt: 1, retry: policy }), { message: "now", retryAfterMs: 0 }, half)).toEqual({
      retry: true,
      delayMs: 0,
    });
  });

  test("a RetryAfterError's delay is not capped by maxBackoffMs", () => {
    const later: JobError = { message: "later", retryAfterMs: 120_000 };
    expect(decideRetry(job({ attempt: 1, retry: policy }), later, half)).toEqual({ retry: true, delayMs: 120_000 });
  });

  describe("otherwise the policy's backoff, after the attempts made so far", () => {
    test("without jitter: initialBackoffMs * base^(attempt - 1)", () => {
      const five = { ...policy, maxAttempts: 5 };
      const delays = [1, 2, 3, 4].map((attempt) => decideRetry(job({ attempt, retry: five }), boom, half));
      expect(delays).toEqual([1_000, 2_000, 4_000, 8_000].map((delayMs) => ({ retry: true, delayMs })));
    });

    test("with jitter, the random source given is used", () => {
      const full = { ...policy, jitter: "full" as const };
      expect(decideRetry(job({ attempt: 2, retry: full }), boom, () => 0.25)).toEqual({ retry: true, delayMs: 500 });
      expect(decideRetry(job({ attempt: 2, retry: full }), boom, () => 0)).toEqual({ retry: true, delayMs: 0 });
      const proportional = { ...policy, jitter: "proportional" as const };
      expect(decideRetry(job({ attempt: 2, retry: proportional }), boom, half)).toEqual({ retry: true, delayMs: 2_000 });
    });

    test("an error that matches the job's retryIf gets the backoff", () => {
      const retryIf = { dataMatches: [{ status: { gte: 500 } }] };
      const error: JobError = { message: "upstream", data: { status: 502 } };
      expect(decideRetry(job({ attempt: 1, retry: policy, retryIf }), error, half)).toEqual({ retry: true, delayMs: 1_000 });
    });
  });
});
