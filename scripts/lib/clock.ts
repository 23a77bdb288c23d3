/**
 * The simulated clock of the demo and the bench: the shipped test clock (src/testing/clock.ts,
 * `installClock` in convex-jobs/test), driven as a discrete-event loop.
 *
 * Everything convex-test does between timers is promise work (modules are preloaded:
 * ./modules.ts), so the clock lets it run on real event-loop turns until a turn passes with no
 * function making progress (the activity counter of ./metrics.ts); only then does it fire the
 * next timer, which moves the clock to its due time. The clock therefore never jumps past work
 * that could have run, and simulated time is latency.
 */
import { installClock, type Clock } from "../../src/testing/clock.js";
import { activityCount } from "./metrics.js";

export type { Clock };

/** 2025-01-01T00:00:00Z: a fixed start so every run is identical. */
export const EPOCH = Date.UTC(2025, 0, 1);

/** Installs the fake clock on the global object, settling on function activity. */
export function installSimClock(start = EPOCH): Promise<Clock> {
  return installClock({ start, activity: activityCount });
}

export interface RunOptions {
  /** Checked whenever nothing can progress at the current time. Stop when it returns true. */
  done: () => Promise<boolean>;
  /** Called after every settled step (for progress output). */
  onStep?: () => Promise<void> | void;
  /** Give up (throw) past this much simulated time. Default: one hour. */
  maxSimMs?: number;
}

/**
 * Runs the event loop until `done()`. Returns the simulated time it took. Throws if the work
 * stalls (no timer left and not done) or runs past `maxSimMs`.
 */
export async function runUntil(clock: Clock, { done, onStep, maxSimMs = 3_600_000 }: RunOptions): Promise<number> {
  const start = clock.now();
  for (;;) {
    await clock.settle();
    await onStep?.();
    if (await done()) return clock.now() - start;
    const next = clock.nextTimerAt();
    if (next === Infinity) throw new Error("runUntil: nothing is scheduled but the workload is not done (stalled).");
    if (next - start > maxSimMs) throw new Error(`runUntil: not done after ${maxSimMs} simulated ms.`);
    clock.step();
  }
}
