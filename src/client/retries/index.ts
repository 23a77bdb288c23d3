export {
  ActionRetrier,
  RETRIER_RETENTION_MS,
  runIdValidator,
  runResultValidator,
  vRunStatus,
  type ActionRetrierOptions,
  type RetrierBackoff,
  type RunId,
  type RunOptions,
  type RunResult,
  type RunStatus,
} from "./retrier.js";
export { vRunId } from "./validators.js";
export { NonRetryableError, RetryAfterError, RateLimitedError } from "../../shared/errors.js";
export { vRetryRule, type RetryRule } from "../../shared/retryRules.js";
