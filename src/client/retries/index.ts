export { ActionRetrier, type ActionRetrierOptions, type RunId, type RunOptions } from "./retrier.js";
export { vRunId } from "./validators.js";
export { NonRetryableError, RetryAfterError } from "../../shared/errors.js";
export { vRetryRule, type RetryRule } from "../../shared/retryRules.js";
