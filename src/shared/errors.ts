/**
 * Errors a job can throw to steer its retries, and how a thrown value becomes stored data.
 * They are ConvexErrors so their data survives crossing function boundaries; the class itself
 * does not, so the component recognises them by a marker in `data`.
 */
import { ConvexError, type Value } from "convex/values";
import type { JobError } from "./validators.js";

const MARK = "__convexJobs";

type Marked = { [MARK]: "nonRetryable" | "retryAfter" | "rateLimited"; message: string; data?: Value; retryAfterMs?: number };

/**
 * Throw from a job to stop retrying at once. `data` reaches onComplete (`result.data`) and status.
 * ```ts
 * if (res.status === 400) throw new NonRetryableError("bad request", { status: 400 });
 * ```
 */
export class NonRetryableError extends ConvexError<Marked> {
  constructor(message: string, data?: Value) {
    super(data === undefined ? { [MARK]: "nonRetryable", message } : { [MARK]: "nonRetryable", message, data });
    this.name = "ConvexError";
  }
}

/**
 * Throw from a job to name the delay before its next attempt (e.g. an API's Retry-After header),
 * overriding the computed backoff for that attempt. The attempt still counts toward maxAttempts,
 * and the job must have retries enabled.
 */
export class RetryAfterError extends ConvexError<Marked> {
  constructor(retryAfterMs: number, message = `retry after ${retryAfterMs} ms`, data?: Value) {
    if (!Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
      throw new Error(`RetryAfterError: \`retryAfterMs\` must be a number of ms >= 0, got ${retryAfterMs}.`);
    }
    const payload: Marked = { [MARK]: "retryAfter", message, retryAfterMs };
    if (data !== undefined) payload.data = data;
    super(payload);
    this.name = "ConvexError";
  }
}

/**
 * Throw from a job when the service it calls said "too many requests": the job goes back to the
 * queue, to start again no sooner than `retryAfterMs` from now, and frees its slot meanwhile.
 * Unlike RetryAfterError it uses no attempt and no backoff step, and needs no retry policy: the
 * job did not fail, it was turned away.
 * ```ts
 * if (res.status === 429) throw new RateLimitedError(Number(res.headers.get("retry-after") ?? 1) * 1000);
 * ```
 */
export class RateLimitedError extends ConvexError<Marked> {
  constructor(retryAfterMs: number, message = `rate limited: retry after ${retryAfterMs} ms`) {
    if (!Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
      throw new Error(`RateLimitedError: \`retryAfterMs\` must be a number of ms >= 0, got ${retryAfterMs}.`);
    }
    super({ [MARK]: "rateLimited", message, retryAfterMs });
    this.name = "ConvexError";
  }
}

/** Turns any thrown value into the stored error shape. Recognises ConvexErrors by shape. */
export function toJobError(e: unknown): JobError {
  if (isConvexError(e)) {
    const data = e.data as unknown;
    if (isMarked(data)) {
      const err: JobError = { message: data.message };
      if (data.data !== undefined) err.data = data.data;
      if (data[MARK] === "nonRetryable") err.nonRetryable = true;
      if (data[MARK] === "retryAfter") err.retryAfterMs = data.retryAfterMs;
      if (data[MARK] === "rateLimited") {
        err.retryAfterMs = data.retryAfterMs;
        err.rateLimited = true;
      }
      return err;
    }
    const message =
      typeof data === "string"
        ? data
        : typeof (data as { message?: unknown })?.message === "string"
          ? (data as { message: string }).message
          : e.message;
    return { message, data: data as Value };
  }
  if (e instanceof Error) return { message: e.message };
  return { message: String(e) };
}

function isConvexError(e: unknown): e is { data: unknown; message: string } {
  return (
    e instanceof ConvexError ||
    (typeof e === "object" && e !== null && (e as Error).name === "ConvexError" && "data" in e)
  );
}

function isMarked(d: unknown): d is Marked {
  return typeof d === "object" && d !== null && MARK in d && typeof (d as Marked).message === "string";
}
