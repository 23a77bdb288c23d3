/**
 * The client's checks of `dedupe` and `debounce` on enqueue, and the result they change. Each
 * check throws naming the option and the fix; the component checks the same values again.
 */
import { describe } from "../../shared/validate.js";
import { MAX_KEY_LENGTH } from "../../shared/flow.js";
import type { DebounceOptions, DedupeOptions, DedupedEnqueue, EnqueueOptions, JobId } from "./types.js";

const MODES = ["reject", "replacePending", "queueOneAfterActive"] as const;

/** What the component's enqueue returns. */
export type EnqueueResponse = string[] | { ids: string[]; deduped: boolean[] };

/**
 * Checks `dedupe` and `debounce` and returns them as the job spec carries them (or nothing).
 * @param batch the method enqueues many jobs: keyed options are per job, so they are refused
 */
export function checkKeyedOptions(
  options: EnqueueOptions<any, any> | undefined,
  batch: boolean,
  where: string,
): { dedupe?: DedupeOptions; debounce?: DebounceOptions } {
  if (typeof options !== "object" || options === null) return {};
  const { dedupe, debounce } = options;
  if (dedupe === undefined && debounce === undefined) return {};
  const option = dedupe !== undefined ? "dedupe" : "debounce";
  if (batch) {
    throw new Error(
      `${where}: \`${option}\` applies to one job, and a batch enqueues many: enqueue each job on its own (enqueueMutation/enqueueAction/enqueueQuery) to ${option} it.`,
    );
  }
  if (dedupe !== undefined && debounce !== undefined) {
    throw new Error(`${where}: pass \`dedupe\` or \`debounce\`, not both (a debounced job already runs once per burst).`);
  }
  if (dedupe !== undefined) return { dedupe: checkDedupe(dedupe, options, where) };
  return { debounce: checkDebounce(debounce, options, where) };
}

function checkDedupe(dedupe: unknown, options: EnqueueOptions<any, any>, where: string): DedupeOptions {
  const d = checkObject(dedupe, "dedupe", ["key", "mode", "ttlMs"], '{ key: "sync:" + userId, mode: "reject" }', where);
  const key = checkKey(d.key, "dedupe", where);
  const mode = d.mode ?? "reject";
  if (!MODES.includes(mode as (typeof MODES)[number])) {
    throw new Error(`${where}: \`dedupe.mode\` must be one of ${MODES.map((m) => `"${m}"`).join(", ")}, got ${describe(d.mode)}.`);
  }
  if (d.ttlMs !== undefined && !(typeof d.ttlMs === "number" && Number.isFinite(d.ttlMs) && d.ttlMs > 0)) {
    throw new Error(`${where}: \`dedupe.ttlMs\` must be a number of ms > 0 (or left out: no expiry), got ${describe(d.ttlMs)}.`);
  }
  // The concurrency key, which this mode sets itself.
  if (mode === "queueOneAfterActive" && options.key !== undefined) {
    throw new Error(
      `${where}: \`key\` and \`dedupe.mode: "queueOneAfterActive"\` cannot be combined: that mode serializes the job on its dedupe key ("dedupe:" + dedupe.key). Drop \`key\`, or use mode "replacePending".`,
    );
  }
  return { key, mode: mode as DedupeOptions["mode"], ttlMs: d.ttlMs as number | undefined };
}

function checkDebounce(debounce: unknown, options: EnqueueOptions<any, any>, where: string): DebounceOptions {
  const example = '{ key: "reindex:" + docId, delayMs: 2_000, maxWaitMs: 30_000 }';
  const d = checkObject(debounce, "debounce", ["key", "delayMs", "maxWaitMs"], example, where);
  const key = checkKey(d.key, "debounce", where);
  const { delayMs, maxWaitMs } = d;
  if (typeof delayMs !== "number" || !Number.isFinite(delayMs) || delayMs < 0) {
    throw new Error(`${where}: \`debounce.delayMs\` must be a number of ms >= 0, got ${describe(delayMs)}.`);
  }
  if (typeof maxWaitMs !== "number" || !Number.isFinite(maxWaitMs) || maxWaitMs < delayMs) {
    throw new Error(
      `${where}: \`debounce.maxWaitMs\` is required, a number of ms >= \`delayMs\` (${delayMs}), so that a steady stream of enqueues still runs; got ${describe(maxWaitMs)}.`,
    );
  }
  if (options.runAt !== undefined || options.runAfter !== undefined) {
    throw new Error(`${where}: \`debounce\` decides when the job runs; drop \`${options.runAt !== undefined ? "runAt" : "runAfter"}\`.`);
  }
  return { key, delayMs, maxWaitMs };
}

function checkObject(value: unknown, option: string, keys: string[], example: string, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${where}: \`${option}\` must be an object like ${example}, got ${describe(value)}.`);
  }
  const unknown = Object.keys(value).find((k) => !keys.includes(k));
  if (unknown !== undefined) {
    throw new Error(`${where}: \`${option}\` has no field \`${unknown}\`; allowed: ${keys.map((k) => `\`${k}\``).join(", ")}.`);
  }
  return value as Record<string, unknown>;
}

function checkKey(key: unknown, option: string, where: string): string {
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new Error(
      `${where}: \`${option}.key\` must be a non-empty string of at most ${MAX_KEY_LENGTH} characters (e.g. "sync:" + userId), got ${describe(key)}.`,
    );
  }
  return key;
}

/** The component's answer as the client returns it: ids, and the dedupe flags when keyed. */
export function readResponse(response: EnqueueResponse): { ids: JobId[]; deduped?: boolean[] } {
  if (Array.isArray(response)) return { ids: response as JobId[] };
  return { ids: response.ids as JobId[], deduped: response.deduped };
}

/** One job's result: its id, or `{ jobId, deduped }` when it was enqueued with a key. */
export function oneResult(r: { ids: JobId[]; deduped?: boolean[] }): JobId | DedupedEnqueue {
  return r.deduped ? { jobId: r.ids[0], deduped: r.deduped[0] } : r.ids[0];
}
