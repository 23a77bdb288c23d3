/**
 * The Workpool client's checks of what users pass: option keys, `runAt`/`runAfter`, job data
 * size, ids, `configure`'s update. Each throws naming the argument and what to pass instead.
 */
import { RESULT_KINDS, vLogLevel } from "../../shared/validators.js";
import { MAX_DOCUMENT_BYTES, checkRunAt, checkSize, convexSize, describe, formatBytes } from "../../shared/validate.js";
import type { EnqueueOptions, PoolConfigUpdate, WorkpoolOptions } from "./types.js";

export const LOG_LEVELS = vLogLevel.members.map((m) => m.value);
/** The keys `new Workpool` accepts. */
export const WORKPOOL_OPTION_KEYS = [
  "name",
  "maxParallelism",
  "retentionMs",
  "logLevel",
  "retry",
  "retryActionsByDefault",
  "retryIf",
  "retryKeepsSlot",
  "defaultRetryBehavior",
  "keyConcurrency",
  "rateLimit",
  "keyRateLimit",
] as const satisfies readonly (keyof WorkpoolOptions)[];
/** The keys an enqueue's options accept. */
export const ENQUEUE_OPTION_KEYS = [
  "runAt",
  "runAfter",
  "onComplete",
  "context",
  "retry",
  "retryIf",
  "name",
  "onCompleteExcludeKinds",
  "priority",
  "key",
  "dedupe",
  "debounce",
] as const satisfies readonly (keyof EnqueueOptions)[];
/**
 * What a job's args and onComplete context may take together: the document limit less room for
 * the job's own fields (function handles, state, retry policy, rule), so the insert cannot fail.
 */
export const JOB_DATA_LIMIT = MAX_DOCUMENT_BYTES - 16 * 1024;

/** Validates `onCompleteExcludeKinds`; an empty list is the same as none. */
export function checkExcludeKinds(kinds: EnqueueOptions["onCompleteExcludeKinds"], where: string) {
  if (kinds === undefined) return undefined;
  const bad = !Array.isArray(kinds) ? kinds : kinds.find((k) => !RESULT_KINDS.includes(k));
  if (bad !== undefined) {
    throw new Error(
      `${where}: \`onCompleteExcludeKinds\` must be an array of ${RESULT_KINDS.map((k) => `"${k}"`).join(", ")}; got ${JSON.stringify(bad)}.`,
    );
  }
  return kinds.length > 0 ? [...new Set(kinds)] : undefined;
}

/** Checks `configure`'s argument's shape; the component checks the values' ranges. */
export function checkConfigUpdate(update: PoolConfigUpdate, pool: string): PoolConfigUpdate {
  const where = `Workpool "${pool}" configure`;
  if (typeof update !== "object" || update === null) throw new Error(`${where}: pass an object, e.g. { maxParallelism: 5 }.`);
  for (const key of ["maxParallelism", "retentionMs"] as const) {
    if (update[key] !== undefined && typeof update[key] !== "number") {
      throw new Error(`${where}: \`${key}\` must be a number, got ${JSON.stringify(update[key])}.`);
    }
  }
  if (update.reset !== undefined && typeof update.reset !== "boolean") {
    throw new Error(`${where}: \`reset\` must be true or false, got ${JSON.stringify(update.reset)}.`);
  }
  const { maxParallelism, retentionMs, logLevel, reset } = update;
  return { maxParallelism, retentionMs, logLevel, reset };
}

export function resolveRunAt(options: EnqueueOptions<any, any>, where: string): number | undefined {
  const { runAt, runAfter } = options;
  if (runAt !== undefined && runAfter !== undefined) {
    throw new Error(`${where}: pass either \`runAt\` or \`runAfter\`, not both.`);
  }
  if (runAt !== undefined) return checkRunAt(runAt, where);
  if (runAfter !== undefined) {
    if (typeof runAfter !== "number" || !Number.isFinite(runAfter) || runAfter < 0) {
      throw new Error(`${where}: \`runAfter\` must be a number of ms >= 0, got ${describe(runAfter)}.`);
    }
    return Date.now() + runAfter;
  }
  return undefined;
}

/** A job's args must be an object, and with its onComplete context fit in one document. */
export function checkJobData(args: unknown, context: unknown, argName: string, where: string): void {
  if (args !== undefined && (typeof args !== "object" || args === null || Array.isArray(args))) {
    throw new Error(`${where}: \`${argName}\` must be an object of the function's arguments, got ${describe(args)}.`);
  }
  checkSize(args ?? {}, JOB_DATA_LIMIT, argName, where);
  checkSize(context, JOB_DATA_LIMIT, "context", where);
  const together = convexSize(args ?? {}) + convexSize(context);
  if (together > JOB_DATA_LIMIT) {
    throw new Error(
      `${where}: \`${argName}\` and \`context\` together are ${formatBytes(together)}; a job's args and onComplete context must fit in ${formatBytes(JOB_DATA_LIMIT)} ` +
        `(one Convex document, at most ${formatBytes(MAX_DOCUMENT_BYTES)}). Store big data in a table or file storage and pass its id.`,
    );
  }
}

/** Throws unless `id` is a non-empty string (the component checks it is an id of its jobs). */
export function checkIdArg(id: unknown, argName: string, where: string): void {
  if (typeof id !== "string" || id.length === 0) {
    const [noun, maker] = argName.startsWith("runId") ? ["run", "ActionRetrier.run"] : ["job", "enqueue"];
    throw new Error(`${where}: \`${argName}\` must be a ${noun} id (the string ${maker} returned), got ${describe(id)}.`);
  }
}

/**
 * Runs a component call whose "not a job id" error names the component's argument (`jobId`);
 * rethrows it naming the caller's argument and method instead.
 */
export async function named<T>(argName: string, where: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const m = /`jobId(s?)(\[\d+\])?` ("(?:[^"\\]|\\.)*") is not a job id/.exec(message);
    if (!m) throw e;
    const arg = m[1] || m[2] ? `${argName}s${m[2] ?? ""}` : argName;
    throw new Error(`${where}: \`${arg}\` ${m[3]} is not a ${argName === "runId" ? "run" : "job"} id: pass an id that ${
      argName === "runId" ? "ActionRetrier.run" : "enqueue"
    } returned.`, { cause: e });
  }
}
