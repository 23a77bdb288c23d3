/**
 * convex-jobs: work pools, retries with backoff and batched migrations for Convex.
 * @module
 */
export * from "./pool/index.js";
export * from "./retries/index.js";
export * from "./migrations/index.js";
export {
  vJobResult,
  vJobResultOf,
  vRetryPolicy,
  vJobError,
  vLogLevel,
  vResultKind,
  vJobStatus,
  type ResultKind,
  type JobResult,
  type RetryPolicy,
  type LogLevel,
} from "../shared/validators.js";
export { DEFAULT_RETRY_POLICY, backoffMs, normalizeRetryPolicy } from "../shared/backoff.js";
export type { ComponentApi } from "../component/_generated/component.js";
export type { RunMutationCtx, RunQueryCtx } from "./ctx.js";
