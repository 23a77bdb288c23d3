/**
 * A simulated clock driven as a discrete-event loop.
 *
 * `@sinonjs/fake-timers` fakes setTimeout, clearTimeout and Date only. Everything convex-test
 * does between timers is promise work (modules are preloaded: ./modules.ts), so we let it run on
 * real event-loop turns (real `setImmediate`) until a turn passes with no function making
 * progress; only then do we fire the next timer, which moves the clock to its due time. The
 * clock therefore never jumps past work that could have run, and simulated time is latency.
 */
import { withGlobal, type Clock } from "@sinonjs/fake-timers";
import { activityCount } from "./metrics.js";

const realSetImmediate = globalThis.setImmediate;
const turn = () => new Promise<void>((resolve) => realSetImmediate(resolve));

/** 2025-01-01T00:00:00Z: a fixed start so every run is identical. */
export const EPOCH = Date.UTC(2025, 0, 1);

type Timer = { callAt: number };

export interface RunOptions {
  /** Checked whenever nothing can progress at the current time. Stop when it returns true. */
  done: () => Promise<boolean>;
  /** Called after every settled step (for progress output). */
  onStep?: () => Promise<void> | void;
  /** Give up (throw) past this much simulated time. Default: one hour. */
  maxSimMs?: number;
}

export class SimClock {
  private constructor(private readonly clock: Clock) {}

  /** Installs the fake clock on the global object (uninstall with `uninstall()`). */
  static install(now = EPOCH): SimClock {
    const clock = withGlobal(globalThis).install({
      now,
      toFake: ["setTimeout", "clearTimeout", "Date"],
    });
    return new SimClock(clock);
  }

  /** Simulated now, in ms since the epoch. */
  now(): number {
    return this.clock.now;
  }

  /** When the earliest pending timer is due, or null if none is. */
  nextTimerAt(): number | null {
    const timers = (this.clock as unknown as { timers?: Map<number, Timer> }).timers;
    let at: number | null = null;
    for (const t of timers?.values() ?? []) if (at === null || t.callAt < at) at = t.callAt;
    return at;
  }

  /** Lets in-flight work run until a real event-loop turn passes with no progress. */
  async settle(): Promise<void> {
    let before: number;
    do {
      before = activityCount();
      await turn();
      await turn();
    } while (activityCount() !== before);
  }

  /** Fires the earliest timer (moving the clock to it). Returns false if there is none. */
  step(): boolean {
    if (this.nextTimerAt() === null) return false;
    this.clock.next();
    return true;
  }

  /**
   * Runs the event loop until `done()`. Returns the simulated time it took. Throws if the
   * work stalls (no timer left and not done) or runs past `maxSimMs`.
   */
  async runUntil({ done, onStep, maxSimMs = 3_600_000 }: RunOptions): Promise<number> {
    const start = this.now();
    for (;;) {
      await this.settle();
      await onStep?.();
      if (await done()) return this.now() - start;
      const next = this.nextTimerAt();
      if (next === null) throw new Error("SimClock: nothing is scheduled but the workload is not done (stalled).");
      if (next - start > maxSimMs) throw new Error(`SimClock: not done after ${maxSimMs} simulated ms.`);
      this.step();
    }
  }

  /** Keeps firing timers due up to `until`, then settles. Returns how many fired. */
  async drainUntil(until: number): Promise<number> {
    let fired = 0;
    for (;;) {
      await this.settle();
      const next = this.nextTimerAt();
      if (next === null || next > until) return fired;
      this.step();
      fired++;
    }
  }

  /** Restores real timers. */
  uninstall(): void {
    this.clock.uninstall();
  }
}
