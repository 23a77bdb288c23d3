/**
 * Whether a failed attempt is retried, and after how long. Pool jobs and the standalone
 * retrier both come through here.
 */
import type { Doc } from "../_generated/dataModel.js";
import type { JobError } from "../../shared/validators.js";
import { backoffMs, normalizeRetryPolicy } from "../../shared/backoff.js";

export type RetryDecision = { retry: false } | { retry: true; delayMs: number };

export function decideRetry(
  job: Doc<"jobs">,
  _pool: Doc<"pools">,
  _error: JobError,
  random: () => number,
): RetryDecision {
  if (!job.retry) return { retry: false };
  const policy = normalizeRetryPolicy(job.retry);
  if (job.attempt >= policy.maxAttempts) return { retry: false };
  return { retry: true, delayMs: backoffMs(policy, job.attempt, random) };
}
