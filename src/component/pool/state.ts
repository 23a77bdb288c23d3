/**
 * A job's life as a state machine. Every function that moves a job calls `transition`, which
 * refuses any move not listed here.
 *
 *   pending ──dispatch──▶ running ──complete(ok)──────────▶ succeeded
 *      │                    │ ├─────complete(error, no retry)▶ failed
 *      │                    │ ├─────complete(error, retry)──▶ pending (readyAt = now + backoff)
 *      │                    │ └─────complete(error, retry, slot kept)──▶ running (next attempt
 *      │                    │        armed for now + backoff: the retrier's pools)
 *      └──cancel──▶ canceled ◀──cancel / complete after cancel requested
 *
 * succeeded, failed and canceled are final: the result is stored and onComplete has run.
 * Each state has its own fields (a running job its worker, a finished one its result and
 * expiry): the schema's union `vJobIn` in ./tables.ts, and `transition` in ./jobs.ts.
 */
import { v, type Infer } from "convex/values";

export const vJobState = v.union(
  v.literal("pending"),
  v.literal("running"),
  v.literal("succeeded"),
  v.literal("failed"),
  v.literal("canceled"),
);
export type JobState = Infer<typeof vJobState>;

export type FinalState = Extract<JobState, "succeeded" | "failed" | "canceled">;
export const FINAL_STATES: readonly FinalState[] = ["succeeded", "failed", "canceled"];

const ALLOWED: Record<JobState, readonly JobState[]> = {
  pending: ["running", "canceled"],
  running: ["succeeded", "failed", "pending", "running", "canceled"],
  succeeded: [],
  failed: [],
  canceled: [],
};

export function isFinal(state: JobState): state is FinalState {
  return (FINAL_STATES as readonly JobState[]).includes(state);
}

/** Throws unless `from -> to` is a move the state machine allows. */
export function assertTransition(from: JobState, to: JobState): void {
  if (!ALLOWED[from].includes(to)) {
    throw new Error(`convex-jobs invariant: a job cannot move from "${from}" to "${to}".`);
  }
}
