/**
 * Validators shared by the component and the client: a job's result, retry policies, log levels.
 * They are exported from the package so apps can type their own functions (e.g. onComplete).
 */
import { v, type Infer, type Validator } from "convex/values";

/** How loudly the component logs. Defaults to "WARN". */
export const vLogLevel = v.union(
  v.literal("DEBUG"),
  v.literal("INFO"),
  v.literal("WARN"),
  v.literal("ERROR"),
);
export type LogLevel = Infer<typeof vLogLevel>;

/** The three kinds of function a pool can run. */
export const vJobKind = v.union(v.literal("mutation"), v.literal("action"), v.literal("query"));
export type JobKind = Infer<typeof vJobKind>;

/**
 * A retry policy. Delay before attempt n+1 (n = attempts made so far):
 * `min(maxBackoffMs, initialBackoffMs * base^(n-1))`, then jittered.
 */
export const vRetryPolicy = v.object({
  /** Total attempts, the first included. 1 means "never retry". */
  maxAttempts: v.number(),
  /** Delay before the second attempt, in ms. */
  initialBackoffMs: v.number(),
  /** Growth factor between consecutive delays (>= 1). */
  base: v.number(),
  /** Upper bound on any computed delay, in ms. */
  maxBackoffMs: v.optional(v.number()),
  /** "full": uniform in [0, delay]; "proportional": delay * [0.5, 1.5); "none": exact delay. */
  jitter: v.optional(v.union(v.literal("full"), v.literal("proportional"), v.literal("none"))),
});
export type RetryPolicy = Infer<typeof vRetryPolicy>;

/** A failed attempt's error, as stored: the message and, for a ConvexError, its data. */
export const vJobError = v.object({
  message: v.string(),
  data: v.optional(v.any()),
  /** Thrown as a NonRetryableError: retries stopped. */
  nonRetryable: v.optional(v.boolean()),
  /** Thrown as a RetryAfterError: the delay the job asked for. */
  retryAfterMs: v.optional(v.number()),
  /** Thrown as a RateLimitedError: requeued after retryAfterMs, no attempt used. */
  rateLimited: v.optional(v.boolean()),
});
export type JobError = Infer<typeof vJobError>;

/** The kinds of final result: what `onCompleteExcludeKinds` lists. */
export const vResultKind = v.union(v.literal("success"), v.literal("failed"), v.literal("canceled"));
export type ResultKind = Infer<typeof vResultKind>;
export const RESULT_KINDS: readonly ResultKind[] = ["success", "failed", "canceled"];

/** A job's final result, typed by the job function's return value. */
export type JobResult<Returns = unknown> =
  | { kind: "success"; returnValue: Returns }
  | { kind: "failed"; error: string; data?: unknown }
  | { kind: "canceled" };

/**
 * A result validator whose `returnValue` is checked by the given validator.
 * @param returns validator for the job function's return value
 */
export function vJobResultOf<R extends Validator<any, "required", any>>(returns: R) {
  return v.union(
    v.object({ kind: v.literal("success"), returnValue: returns }),
    v.object({ kind: v.literal("failed"), error: v.string(), data: v.optional(v.any()) }),
    v.object({ kind: v.literal("canceled") }),
  );
}

/** The final result of a job, as `status` reports it and `onComplete` receives it. */
export const vJobResult = vJobResultOf(v.any());

/** A job's status. `null` from `status` means no such job (or it was cleaned up). */
/** How a job was enqueued with a key: a dedupe mode, or "debounce". */
export const vDedupeMode = v.union(
  v.literal("reject"),
  v.literal("replacePending"),
  v.literal("queueOneAfterActive"),
  v.literal("debounce"),
);

/** A live job's dedupe or debounce key, as `status` shows it (gone once the job ends). */
const vLiveKey = v.optional(v.object({ key: v.string(), mode: vDedupeMode }));

export const vJobStatus = v.union(
  v.object({
    state: v.literal("pending"),
    /** The name given at enqueue, else the function's name ("emails:send"). */
    name: v.string(),
    /** Attempts already made (0 before the first). */
    attempt: v.number(),
    /** When it may start: enqueue time, runAt, or when its retry backoff ends. */
    readyAt: v.number(),
    lastError: v.optional(vJobError),
    /** Its concurrency key, if it has one. */
    key: v.optional(v.string()),
    /** Set while its pool or its key is paused: it will not start until resumed. */
    paused: v.optional(v.boolean()),
    /** Enqueued with `dedupe` or `debounce`: its key (held while the job is live) and mode. */
    dedupe: vLiveKey,
  }),
  v.object({
    state: v.literal("running"),
    name: v.string(),
    attempt: v.number(),
    startedAt: v.number(),
    lastError: v.optional(vJobError),
    cancelRequested: v.optional(v.boolean()),
    dedupe: vLiveKey,
  }),
  v.object({
    state: v.literal("finished"),
    name: v.string(),
    attempt: v.number(),
    result: vJobResult,
    finishedAt: v.number(),
    lastError: v.optional(vJobError),
    callbackError: v.optional(v.string()),
  }),
);
export type JobStatus = Infer<typeof vJobStatus>;
