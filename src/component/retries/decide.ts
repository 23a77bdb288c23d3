/**
 * Whether a failed attempt is retried, and after how long. Pool jobs and the standalone
 * retrier both come through here. Order of precedence:
 *   1. no policy on the job, or attempts used up          -> final failure
 *   2. NonRetryableError, or the job's retryIf rule says no -> final failure
 *   3. RetryAfterError                                     -> retry after the delay it names
 *   4. otherwise                                           -> retry after the policy's backoff
 */
import type { Doc } from "../_generated/dataModel.js";
import type { JobError } from "../../shared/validators.js";
import { backoffMs, normalizeRetryPolicy } from "../../shared/backoff.js";
import { ruleAllowsRetry, type RetryRule } from "../../shared/retryRules.js";

export type RetryDecision = { retry: false } | { retry: true; delayMs: number };

export function decideRetry(job: Doc<"jobs">, error: JobError, random: () => number): RetryDecision {
  if (!job.retry) return { retry: false };
  const policy = normalizeRetryPolicy(job.retry);
  // Attempts a RateLimitedError turned away do not count.
  const attempt = job.attempt - (job.rateLimitedAttempts ?? 0);
  if (attempt >= policy.maxAttempts) return { retry: false };
  if (!ruleAllowsRetry(job.retryIf as RetryRule | undefined, error)) return { retry: false };
  if (error.retryAfterMs !== undefined) return { retry: true, delayMs: error.retryAfterMs };
  return { retry: true, delayMs: backoffMs(policy, attempt, random) };
}
