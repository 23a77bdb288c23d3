/**
 * The Workpool client's checks of its flow-control options (priority, concurrency keys, rate
 * limits), turning them into what the component stores. See the README, "Flow control".
 */
import { boostOf, checkKey, checkRateLimit } from "../../shared/flow.js";
import { MAX_PARALLELISM } from "../../shared/limits.js";
import { describe } from "../../shared/validate.js";
import type { EnqueueOptions, WorkpoolOptions } from "./types.js";

/** Checks a pool's flow options (throws naming the option and the fix). */
export function checkPoolFlow(options: WorkpoolOptions, where: string): void {
  const k = options.keyConcurrency;
  if (k !== undefined && (typeof k !== "number" || !Number.isInteger(k) || k < 1 || k > MAX_PARALLELISM)) {
    throw new Error(`${where}: \`keyConcurrency\` must be an integer from 1 to ${MAX_PARALLELISM} (jobs of one key at once), got ${describe(k)}.`);
  }
  checkRateLimit(options.rateLimit, "rateLimit", where);
  checkRateLimit(options.keyRateLimit, "keyRateLimit", where);
}

/** An enqueue's flow fields as the component stores them, after checking them. */
export function jobFlow(options: EnqueueOptions<any, any>, where: string): { boostMs?: number; key?: string } {
  const flow: { boostMs?: number; key?: string } = {};
  if (options.priority !== undefined) {
    const boost = boostOf(options.priority, where);
    if (boost !== 0) flow.boostMs = boost;
  }
  if (options.key !== undefined) flow.key = checkKey(options.key, where);
  return flow;
}

/** Checks the `key` argument of pauseKey/resumeKey/keyStats. */
export function checkKeyArg(key: unknown, where: string): string {
  return checkKey(key, where);
}
