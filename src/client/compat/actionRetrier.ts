/**
 * `convex-jobs/action-retrier`: the official @convex-dev/action-retrier's client API on
 * convex-jobs, so code written for it runs after changing only the import paths. Written from
 * that package's documented API (its README and type declarations, 0.3.1), not from its source.
 *
 * The official shapes differ from ours (`convex-jobs`'s `ActionRetrier`): results are tagged
 * `type` (ours: `kind`) and carry no error data; onComplete receives `{ runId, result }` (ours:
 * `{ jobId, context, result }`); `status` is `{ type: "inProgress" } | { type: "completed",
 * result }` and throws for an unknown run (ours: `{ state, ... }` or `null`). Convex validates
 * args strictly, so the enqueue must say which onComplete args it wants (src/shared/compat.ts):
 * this entry point asks for the official ones, the main one keeps ours for existing users.
 */
import type { FunctionArgs, FunctionReference, FunctionVisibility } from "convex/server";
import { v } from "convex/values";
import type { ComponentApi } from "../../component/_generated/component.js";
import { toRetrierResult, type RetrierResult } from "../../shared/compat.js";
import type { LogLevel } from "../../shared/validators.js";
import type { AnyRef, RunMutationCtx, RunQueryCtx } from "../ctx.js";
import {
  ActionRetrier as OurRetrier,
  runIdValidator,
  type ActionRetrierOptions,
  type RunId,
  type RunOptions as OurRunOptions,
} from "../retries/retrier.js";
import { statusOf } from "./shared.js";

export { runIdValidator, type RunId };

/** A run's final result, official shape: tagged `type`. */
export type RunResult<Returns = unknown> = RetrierResult<Returns>;

/** Validator for a run's result (official shape). */
export const runResultValidator = v.union(
  v.object({ type: v.literal("success"), returnValue: v.any() }),
  v.object({ type: v.literal("failed"), error: v.string() }),
  v.object({ type: v.literal("canceled") }),
);

/** Args validator for an onComplete mutation: `{ runId, result }`. */
export const onCompleteValidator = v.object({ runId: runIdValidator, result: runResultValidator });

/** A run's status, official shape. */
export type RunStatus = { type: "inProgress" } | { type: "completed"; result: RunResult };

/**
 * Retrier options, official names: `initialBackoffMs` (250), `base` (2), `maxFailures` (4),
 * `logLevel`. Our other options (`maxAttempts`, `maxBackoffMs`, `jitter`, `retentionMs`, ...)
 * are accepted too.
 */
export type Options = ActionRetrierOptions;

/** Options for one run: backoff overrides and the onComplete mutation, called with `{ runId, result }`. */
export type RunOptions = Pick<Options, "initialBackoffMs" | "base" | "maxFailures" | "maxAttempts" | "maxBackoffMs" | "jitter"> & {
  /** Accepted for the official signature; the retrier's own `logLevel` applies to every run. */
  logLevel?: LogLevel;
  onComplete?: FunctionReference<"mutation", FunctionVisibility, { runId: RunId; result: RunResult }, any>;
};

/**
 * Runs actions with retries, with the official retrier's API and shapes. Every method forwards
 * to a convex-jobs `ActionRetrier` (`retrier`), whose extra methods stay reachable there.
 */
export class ActionRetrier {
  /** The convex-jobs retrier underneath. */
  readonly retrier: OurRetrier;
  /** The options given (unset fields take the defaults). */
  readonly options: Options;

  /**
   * @param component the mounted component, e.g. `components.actionRetrier` after
   *   `app.use(jobs, { name: "actionRetrier" })`
   * @param options official backoff options, plus ours
   */
  constructor(component: ComponentApi, options: Options = {}) {
    this.options = options;
    this.retrier = new OurRetrier(component, options).sendCallbackArgsAs("retrier");
  }

  /** Starts running `reference(args)` with retries. Returns the run's id. */
  run<F extends AnyRef<"action">>(ctx: RunMutationCtx, reference: F, args?: FunctionArgs<F>, options?: RunOptions): Promise<RunId> {
    return this.retrier.run(ctx, reference, (args ?? {}) as FunctionArgs<F>, ours(options));
  }

  /** Like `run`, starting no earlier than `runAtTimestampMs`. */
  runAt<F extends AnyRef<"action">>(ctx: RunMutationCtx, runAtTimestampMs: number, reference: F, args?: FunctionArgs<F>, options?: RunOptions): Promise<RunId> {
    return this.retrier.runAt(ctx, runAtTimestampMs, reference, (args ?? {}) as FunctionArgs<F>, ours(options));
  }

  /** Like `run`, starting no earlier than `runAfterMs` from now. */
  runAfter<F extends AnyRef<"action">>(ctx: RunMutationCtx, runAfterMs: number, reference: F, args?: FunctionArgs<F>, options?: RunOptions): Promise<RunId> {
    return this.retrier.runAfter(ctx, runAfterMs, reference, (args ?? {}) as FunctionArgs<F>, ours(options));
  }

  /** `{ type: "inProgress" }` or `{ type: "completed", result }`; throws for an unknown or cleaned-up run, as the official package. */
  async status(ctx: RunQueryCtx, runId: RunId): Promise<RunStatus> {
    return statusOf<RunStatus>(await this.retrier.status(ctx, runId), {
      pending: () => ({ type: "inProgress" }),
      running: () => ({ type: "inProgress" }),
      finished: (s) => {
        if (s === null) throw new Error(`ActionRetrier.status: run ${runId} not found (unknown, or cleaned up after its retention).`);
        return { type: "completed", result: toRetrierResult(s.result) };
      },
    });
  }

  /** Cancels the run: no further attempts; onComplete gets `{ type: "canceled" }`. */
  async cancel(ctx: RunMutationCtx, runId: RunId): Promise<void> {
    await this.retrier.cancel(ctx, runId);
  }

  /** Deletes a finished run's record now instead of after 7 days. */
  async cleanup(ctx: RunMutationCtx, runId: RunId): Promise<void> {
    await this.retrier.cleanup(ctx, runId);
  }
}

/**
 * An official run's options as our retrier takes them, less the per-run `logLevel` (the
 * retrier's own applies). onComplete gets the official args (the retrier sends them,
 * `sendCallbackArgsAs("retrier")`), which our type cannot say.
 */
function ours(options: RunOptions | undefined): OurRunOptions {
  const { logLevel: _perRun, ...rest } = options ?? {};
  return rest as OurRunOptions;
}
