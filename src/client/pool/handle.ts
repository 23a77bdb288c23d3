/**
 * The base of `Workpool` (see ./workpool.ts): the pool's validated options and what every method
 * shares (its name in messages, the config sent with each call). The methods are layered on it
 * by seam: jobs by id (./jobOps.ts), the pool's controls and views (./poolOps.ts), enqueue
 * (./workpool.ts).
 */
import type { ComponentApi } from "../../component/_generated/component.js";
import { normalizeRetryPolicy } from "../../shared/backoff.js";
import { DEFAULT_MAX_PARALLELISM, MAX_PARALLELISM } from "../../shared/limits.js";
import type { RetryPolicy } from "../../shared/validators.js";
import type { CallbackShape } from "../../shared/compat.js";
import { validateRetryRule } from "../../shared/retryRules.js";
import { checkBoolean, checkKeys, checkOneOf, describe } from "../../shared/validate.js";
import { LOG_LEVELS, WORKPOOL_OPTION_KEYS } from "./options.js";
import { checkPoolFlow } from "./flow.js";
import type { WorkpoolOptions } from "./types.js";

/**
 * The pool used when `name` is not given: one per mount, as in `new Workpool(components.jobs,
 * { maxParallelism: 1 })`. The standalone retrier uses "retrier", so the two never share a queue.
 */
export const DEFAULT_POOL_NAME = "default";

/** A pool's options once checked: the name and cap filled in, `retry` under its one name. */
export type CheckedWorkpoolOptions = Readonly<WorkpoolOptions & { name: string; maxParallelism: number }>;

/**
 * What every `Workpool` method stands on: the mounted component, the pool's checked options and
 * how messages name the pool. Not exported from the package: use `Workpool`.
 */
export class PoolHandle {
  /** The pool's validated options. */
  readonly options: CheckedWorkpoolOptions;
  /** What ids are called in messages ("runId" when an ActionRetrier owns the pool). */
  protected idName = "jobId";
  /** Who is speaking in messages, e.g. `Workpool "emails"`, and the owner's names for methods. */
  protected owner = "";
  protected methodNames: Record<string, string> = {};
  /** The args onComplete receives: ours unless a compat client asked for the official ones. */
  protected callbackShape: CallbackShape | undefined;
  protected readonly retryPolicy: Required<RetryPolicy> | undefined;

  /**
   * @param component `components.jobs` (or the name you mounted the component under)
   * @param options the pool's cap, name (default: the mount's one default pool) and defaults;
   *   validated here, so mistakes fail at import
   */
  constructor(
    public readonly component: ComponentApi,
    options: WorkpoolOptions = {},
  ) {
    if (typeof component !== "object" || component === null) {
      throw new Error(
        `new Workpool: \`component\` is ${describe(component)}: pass the mounted component, e.g. new Workpool(components.jobs, { maxParallelism: 5 }) ` +
          `with \`components\` from "./_generated/api" (use the name you mounted it under in convex.config.ts).`,
      );
    }
    const checked = checkWorkpoolOptions(options);
    this.options = checked.options;
    this.retryPolicy = checked.retryPolicy;
    this.owner = `Workpool "${this.options.name}"`;
  }

  /** "Workpool \"emails\".status" (or the retrier's name for its pool). */
  protected where(method: string): string {
    return `${this.owner}.${this.methodNames[method] ?? method}`;
  }

  /**
   * Lets an owner (the ActionRetrier) speak for this pool in messages: its name and what it
   * calls ids. Internal.
   * @internal
   */
  speakAs(owner: string, idName: string, methods: Record<string, string> = {}): this {
    this.owner = owner;
    this.idName = idName;
    this.methodNames = methods;
    return this;
  }

  /**
   * Sends onComplete the official components' args (see shared/compat.ts), for the compat
   * clients `convex-jobs/workpool` and `convex-jobs/action-retrier`. Internal.
   * @internal
   */
  sendCallbackArgsAs(shape: CallbackShape): this {
    this.callbackShape = shape;
    return this;
  }

  /** The pool's options as the component stores them. */
  protected poolConfig() {
    return {
      name: this.options.name,
      maxParallelism: this.options.maxParallelism,
      retentionMs: this.options.retentionMs,
      logLevel: this.options.logLevel,
      retry: this.retryPolicy,
      retryKeepsSlot: this.options.retryKeepsSlot,
      keyConcurrency: this.options.keyConcurrency,
      rateLimit: this.options.rateLimit,
      keyRateLimit: this.options.keyRateLimit,
    };
  }
}

/**
 * `new Workpool`'s options, checked (each mistake throws naming the option), defaults filled in;
 * and the pool's default retry policy, normalized.
 */
function checkWorkpoolOptions(options: WorkpoolOptions): {
  options: CheckedWorkpoolOptions;
  retryPolicy: Required<RetryPolicy> | undefined;
} {
  checkKeys(options, WORKPOOL_OPTION_KEYS, "new Workpool");
  if (options?.name !== undefined && (typeof options.name !== "string" || options.name.length === 0)) {
    throw new Error(
      `new Workpool(component, options): \`options.name\` must be a non-empty string, e.g. "emails", or left out for the default pool; got ${describe(options.name)}.`,
    );
  }
  const name = options?.name ?? DEFAULT_POOL_NAME;
  const p = options?.maxParallelism ?? DEFAULT_MAX_PARALLELISM;
  const where = `new Workpool("${name}")`;
  if (!Number.isInteger(p) || p < 1 || p > MAX_PARALLELISM) {
    throw new Error(
      `new Workpool: \`maxParallelism\` for pool "${name}" must be an integer from 1 to ${MAX_PARALLELISM}, got ${describe(p)}.`,
    );
  }
  if (options.retentionMs !== undefined && (typeof options.retentionMs !== "number" || !Number.isFinite(options.retentionMs) || options.retentionMs < 0)) {
    throw new Error(`new Workpool: \`retentionMs\` for pool "${name}" must be a number >= 0, got ${describe(options.retentionMs)}.`);
  }
  checkOneOf(options.logLevel, LOG_LEVELS, "logLevel", where);
  checkBoolean(options.retryActionsByDefault, "retryActionsByDefault", where);
  checkBoolean(options.retryKeepsSlot, "retryKeepsSlot", where);
  checkPoolFlow(options, where);
  if (options.retry !== undefined && (typeof options.retry !== "object" || options.retry === null)) {
    throw new Error(`${where}: \`retry\` must be a retry policy object like { maxAttempts: 5 }, got ${describe(options.retry)}.`);
  }
  if (options.retry !== undefined && options.defaultRetryBehavior !== undefined) {
    throw new Error(`new Workpool: pool "${name}" got both \`retry\` and \`defaultRetryBehavior\` (the same option under the official name): pass one.`);
  }
  const retry = options.retry ?? options.defaultRetryBehavior;
  const retryPolicy = retry ? normalizeRetryPolicy(retry, `Workpool "${name}" retry`) : undefined;
  if (options.retryIf !== undefined) validateRetryRule(options.retryIf, `Workpool "${name}" retryIf`);
  return { options: { ...options, name, maxParallelism: p, retry }, retryPolicy };
}
