/** Limits the client checks up front and the component enforces, defined once for both. */

/**
 * Upper bound for `maxParallelism`: on each run the dispatcher's view reads every running job
 * and its state lists them, so this bounds what one dispatch run reads and writes.
 */
export const MAX_PARALLELISM = 1000;
/** A pool's cap when its options give none (as the official workpool's default). */
export const DEFAULT_MAX_PARALLELISM = 10;
/** Most jobs accepted by one enqueue call (one transaction). */
export const MAX_BATCH = 1000;
