/**
 * `convex-jobs/workpool`: the official @convex-dev/workpool's client API on convex-jobs, so code
 * written for it runs after changing only the import paths. Written from that package's
 * documented API (its README and type declarations, 0.4.16), not from its source.
 *
 * What differs from the main entry point (`convex-jobs`), and why it is a separate entry point
 * rather than options on the main `Workpool`: the official onComplete receives
 * `{ workId, context, result }` with a ConvexError's data in `result.errorData`, and `status`
 * returns `{ state, previousAttempts }`. Convex validates args strictly, so one onComplete cannot
 * accept both our `{ jobId, ... }` and the official `{ workId, ... }`; the enqueue must say which
 * it wants (see src/shared/compat.ts). Existing users keep the main entry point and its shapes;
 * a user porting from the official package changes the import path and gets the official ones.
 * Jobs of both kinds share pools, the component and every other behaviour.
 */
import {
  internalMutationGeneric,
  type FunctionReference,
  type FunctionReturnType,
  type FunctionVisibility,
  type GenericDataModel,
  type GenericMutationCtx,
  type RegisteredMutation,
} from "convex/server";
import { v, type Infer, type Validator, type VAny } from "convex/values";
import type { ComponentApi } from "../../component/_generated/component.js";
import { type WorkpoolResult } from "../../shared/compat.js";
import type { ResultKind, RetryPolicy } from "../../shared/validators.js";
import type { AnyRef, RunMutationCtx, RunQueryCtx } from "../ctx.js";
import type { EnqueueOptions as OurEnqueueOptions, JobId, JobStatus, WorkpoolOptions as OurOptions } from "../pool/types.js";
import { vJobId } from "../pool/validators.js";
import { Workpool as OurWorkpool } from "../pool/workpool.js";
import { statusOf, toOurLevel, type OfficialLogLevel } from "./shared.js";

export { NonRetryableError, isNonRetryableError } from "../../shared/errors.js";
export { vOfficialLogLevel as vLogLevel, type OfficialLogLevel as LogLevel } from "./shared.js";

/** A job's id, under the official name. The same value as a `JobId` from `convex-jobs`. */
export type WorkId = JobId;
/** Validator for a `WorkId` argument: `v.string()` at runtime, typed `WorkId`. */
export const vWorkId = vJobId;
/** @deprecated the official package's older name for `vWorkId`. */
export const vWorkIdValidator = vWorkId;
/** @deprecated the official package's older name for `vWorkId`. */
export const workIdValidator = vWorkId;

/** A retry policy, official fields (ours add `maxBackoffMs` and `jitter`, also accepted). */
export type RetryBehavior = { maxAttempts: number; initialBackoffMs: number; base: number } & Partial<RetryPolicy>;
/** Validator for a `RetryBehavior`. */
export const vRetryBehavior = v.object({ maxAttempts: v.number(), initialBackoffMs: v.number(), base: v.number() });
/** The official default retry behavior (also ours). */
export const DEFAULT_RETRY_BEHAVIOR: RetryBehavior = { maxAttempts: 5, initialBackoffMs: 250, base: 2 };

/** A job's final result, official shape: a ConvexError's data is `errorData`. */
export type RunResult<Returns = unknown> = WorkpoolResult<Returns>;

/** Validator for a result whose `returnValue` is checked by `returnValue`. */
export function vRunResult<R extends Validator<any, "required", any> = VAny>(returnValue?: R) {
  return v.union(
    v.object({ kind: v.literal("success"), returnValue: (returnValue ?? v.any()) as R }),
    v.object({ kind: v.literal("failed"), error: v.string(), errorData: v.optional(v.any()) }),
    v.object({ kind: v.literal("canceled") }),
  );
}
/** Validator for a result, any return value. */
export const vResult = vRunResult();
/** The official package's other names for `vResult`. */
export const vResultValidator = vResult;
/** @deprecated the official package's older name for `vResult`. */
export const resultValidator = vResult;

/** The args an onComplete mutation receives from this entry point's pools. */
export type OnCompleteArgs<Context = unknown, Returns = unknown> = {
  workId: string;
  context: Context;
  result: RunResult<Returns>;
};

/**
 * Args validator for an onComplete mutation: `{ workId, context, result }`.
 * @param context validator for the `context` given at enqueue (default: any)
 * @param returnValue validator for the job's return value (default: any)
 */
export function vOnCompleteArgs<C extends Validator<any, "required", any> = VAny, R extends Validator<any, "required", any> = VAny>(
  context?: C,
  returnValue?: R,
) {
  return v.object({ workId: vWorkId, context: (context ?? v.any()) as C, result: vRunResult<R>(returnValue) });
}
/** The official package's other name for `vOnCompleteArgs`. */
export const vOnCompleteValidator = vOnCompleteArgs;
/** `vOnCompleteArgs()`: any context, any return value. */
export const vOnComplete = vOnCompleteArgs();

/** A job's status, official shape. `previousAttempts`: attempts that failed before this one. */
export type Status = { state: "pending"; previousAttempts: number } | { state: "running"; previousAttempts: number } | { state: "finished" };

/** Pool options, official names (our extra options, like `name` or `retentionMs`, are accepted too). */
export type WorkpoolOptions = Omit<OurOptions, "logLevel" | "defaultRetryBehavior"> & {
  logLevel?: OfficialLogLevel;
  defaultRetryBehavior?: Partial<RetryBehavior>;
};

/** Options for one enqueue. */
export type EnqueueOptions<Context = unknown, Returns = unknown> = {
  name?: string;
  onComplete?: FunctionReference<"mutation", FunctionVisibility, OnCompleteArgs<Context, Returns>, any> | null;
  onCompleteExcludeKinds?: readonly ResultKind[];
  context?: Context;
  retry?: boolean | Partial<RetryBehavior>;
} & ({ runAt?: number; runAfter?: never } | { runAfter?: number; runAt?: never });

type Ref<T extends "mutation" | "action" | "query"> = AnyRef<T>;

/**
 * An official enqueue's options as our pool takes them: the same fields, but onComplete gets the
 * official args (the pool sends them, `sendCallbackArgsAs("workpool")`), which our type cannot
 * say. No `dedupe`/`debounce` here, so our enqueue's result type is a plain id.
 */
function ours<C, R>(options: EnqueueOptions<C, R> | undefined): Omit<OurEnqueueOptions<C, R>, "dedupe" | "debounce"> | undefined {
  return options as Omit<OurEnqueueOptions<C, R>, "dedupe" | "debounce"> | undefined;
}

/**
 * A work pool with the official workpool's API and shapes. Every method forwards to a convex-jobs
 * `Workpool` (see the module comment); `pool` is that pool, for our extra methods (stats, configure,
 * cleanup...).
 */
export class Workpool {
  /** The convex-jobs pool underneath: `stats`, `configure`, `cleanup` and friends. */
  readonly pool: OurWorkpool;

  /**
   * @param component the mounted component, e.g. `components.emailWorkpool` after
   *   `app.use(jobs, { name: "emailWorkpool" })`
   * @param options official options (`maxParallelism`, `retryActionsByDefault`,
   *   `defaultRetryBehavior`, `logLevel`), plus ours
   */
  constructor(
    public readonly component: ComponentApi,
    public readonly options: WorkpoolOptions = {},
  ) {
    const logLevel = toOurLevel(options?.logLevel, "new Workpool");
    this.pool = new OurWorkpool(component, { ...options, logLevel } as OurOptions).sendCallbackArgsAs("workpool");
  }

  enqueueAction<F extends Ref<"action">, C = unknown>(ctx: RunMutationCtx, fn: F, fnArgs: F["_args"], options?: EnqueueOptions<C, FunctionReturnType<F>>): Promise<WorkId> {
    return this.pool.enqueueAction(ctx, fn, fnArgs, ours(options));
  }
  enqueueMutation<F extends Ref<"mutation">, C = unknown>(ctx: RunMutationCtx, fn: F, fnArgs: F["_args"], options?: EnqueueOptions<C, FunctionReturnType<F>>): Promise<WorkId> {
    return this.pool.enqueueMutation(ctx, fn, fnArgs, ours(options));
  }
  enqueueQuery<F extends Ref<"query">, C = unknown>(ctx: RunMutationCtx, fn: F, fnArgs: F["_args"], options?: EnqueueOptions<C, FunctionReturnType<F>>): Promise<WorkId> {
    return this.pool.enqueueQuery(ctx, fn, fnArgs, ours(options));
  }
  enqueueActionBatch<F extends Ref<"action">, C = unknown>(ctx: RunMutationCtx, fn: F, argsArray: F["_args"][], options?: EnqueueOptions<C, FunctionReturnType<F>>): Promise<WorkId[]> {
    return this.pool.enqueueActionBatch(ctx, fn, argsArray, ours(options));
  }
  enqueueMutationBatch<F extends Ref<"mutation">, C = unknown>(ctx: RunMutationCtx, fn: F, argsArray: F["_args"][], options?: EnqueueOptions<C, FunctionReturnType<F>>): Promise<WorkId[]> {
    return this.pool.enqueueMutationBatch(ctx, fn, argsArray, ours(options));
  }
  enqueueQueryBatch<F extends Ref<"query">, C = unknown>(ctx: RunMutationCtx, fn: F, argsArray: F["_args"][], options?: EnqueueOptions<C, FunctionReturnType<F>>): Promise<WorkId[]> {
    return this.pool.enqueueQueryBatch(ctx, fn, argsArray, ours(options));
  }

  /** Cancels a job: onComplete gets `{ kind: "canceled" }` unless it already finished. */
  async cancel(ctx: RunMutationCtx, id: WorkId): Promise<void> {
    await this.pool.cancel(ctx, id);
  }

  /**
   * Cancels every job of this pool. `limit` is the official page size; convex-jobs pages on its
   * own, and like the official package cancels them all whatever the page size.
   */
  async cancelAll(ctx: RunMutationCtx, _options?: { limit?: number }): Promise<void> {
    await this.pool.cancelAll(ctx);
  }

  /** `pending`/`running` with `previousAttempts`, or `finished` (also for unknown and cleaned-up ids, as the official package). */
  async status(ctx: RunQueryCtx, id: WorkId): Promise<Status> {
    return toStatus(await this.pool.status(ctx, id));
  }

  /** `status` for many ids at once, in order. */
  async statusBatch(ctx: RunQueryCtx, ids: WorkId[]): Promise<Status[]> {
    return (await this.pool.statusBatch(ctx, ids)).map(toStatus);
  }

  /**
   * Defines an onComplete mutation whose handler gets `{ workId, context, result }`, `context`
   * and `result.returnValue` validated by the given validators.
   */
  defineOnComplete<
    DataModel extends GenericDataModel,
    // Defaults wide enough for any validator: with only `<DataModel>` given (as the official
    // README writes it), `context` may still be a v.object(...) (typed `any`, still validated).
    VContext extends Validator<any, "required", any> = Validator<any, "required", any>,
    VReturnValue extends Validator<any, "required", any> = Validator<any, "required", any>,
  >(definition: {
    context?: VContext;
    returnValue?: VReturnValue;
    handler: (ctx: GenericMutationCtx<DataModel>, args: { workId: WorkId; context: Infer<VContext>; result: RunResult<Infer<VReturnValue>> }) => Promise<void>;
  }): RegisteredMutation<"internal", OnCompleteArgs<Infer<VContext>, Infer<VReturnValue>>, null> {
    const { context, returnValue, handler } = definition ?? ({} as never);
    if (typeof handler !== "function") {
      throw new Error("defineOnComplete({ context?, returnValue?, handler }): `handler` must be a function.");
    }
    return internalMutationGeneric({
      args: vOnCompleteArgs(context, returnValue),
      handler: async (ctx: GenericMutationCtx<DataModel>, args: any) => {
        await handler(ctx, args);
        return null;
      },
    }) as RegisteredMutation<"internal", OnCompleteArgs<Infer<VContext>, Infer<VReturnValue>>, null>;
  }
}

/** Our status in the official shape. */
function toStatus(s: JobStatus | null): Status {
  return statusOf<Status>(s, {
    pending: (attempt) => ({ state: "pending", previousAttempts: attempt }),
    running: (attempt) => ({ state: "running", previousAttempts: attempt - 1 }),
    finished: () => ({ state: "finished" }),
  });
}

/** Pool options the official free functions take with each call. */
type PoolOptions = { retryBehavior?: Partial<RetryBehavior>; maxParallelism?: number; logLevel?: OfficialLogLevel };

/**
 * Enqueues one job, official form: the component and pool options with each call
 * (`maxParallelism`, `logLevel`, `retryBehavior`), on the mount's default pool.
 */
export function enqueue<T extends "mutation" | "action" | "query", F extends Ref<T>, C = unknown>(
  component: ComponentApi,
  ctx: RunMutationCtx,
  fnType: T,
  fn: F,
  fnArgs: F["_args"],
  options: EnqueueOptions<C, FunctionReturnType<F>> & PoolOptions = {},
): Promise<WorkId> {
  return enqueueBatch(component, ctx, fnType, fn, [fnArgs], options).then(([id]) => id);
}

/** Enqueues one job per element of `fnArgsArray`, official form (see {@link enqueue}). */
export function enqueueBatch<T extends "mutation" | "action" | "query", F extends Ref<T>, C = unknown>(
  component: ComponentApi,
  ctx: RunMutationCtx,
  fnType: T,
  fn: F,
  fnArgsArray: F["_args"][],
  options: EnqueueOptions<C, FunctionReturnType<F>> & PoolOptions = {},
): Promise<WorkId[]> {
  const { retryBehavior, maxParallelism, logLevel, ...enqueueOptions } = options ?? {};
  const pool = new Workpool(component, { maxParallelism, logLevel, defaultRetryBehavior: retryBehavior });
  switch (fnType) {
    case "mutation":
      return pool.enqueueMutationBatch(ctx, fn as Ref<"mutation">, fnArgsArray, enqueueOptions);
    case "action":
      return pool.enqueueActionBatch(ctx, fn as Ref<"action">, fnArgsArray, enqueueOptions);
    case "query":
      return pool.enqueueQueryBatch(ctx, fn as Ref<"query">, fnArgsArray, enqueueOptions);
    default:
      throw new Error(`enqueue: \`fnType\` must be "mutation", "action" or "query", got ${JSON.stringify(fnType)}.`);
  }
}
