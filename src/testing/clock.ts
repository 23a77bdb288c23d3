/**
 * A discrete-event clock for convex-test: fake setTimeout/Date, real setImmediate. In-flight work
 * settles on real event-loop turns; time only jumps to the next timer when nothing can progress,
 * so simulated time means something (unlike `vi.runAllTimers`, which jumps to the last timer,
 * a day-later retention clean-up included).
 *
 * Needs `@sinonjs/fake-timers` (a dev dependency of your app); it is loaded on first use.
 * A first-time module import is real I/O, which the clock would mistake for "nothing to do": the
 * clock waits for every load `register()` started or tracks (src/testing/modules.ts) before it
 * moves time.
 */
import type FakeTimersModule from "@sinonjs/fake-timers";
import { loadsInFlight, modulesLoaded } from "./modules.js";

/** The clock `installClock()` returns. */
export type Clock = Awaited<ReturnType<typeof installClock>>;

/** Options for `installClock()`. */
export interface ClockOptions {
  /** Simulated start time, in ms since the Unix epoch. Default: 2026-01-01T00:00:00Z. */
  start?: number;
  /**
   * A counter that changes whenever your code makes progress (e.g. incremented on entry into
   * every function). With it, `settle()` waits until two real event-loop turns pass with no
   * change, however long that takes, instead of a fixed number of turns: exact for long chains
   * of work, and quick when there is none.
   */
  activity?: () => number;
}

/** Real event-loop turns `settle()` waits when there is no `activity` counter to watch. */
const FIXED_TURNS = 40;

/** One real event-loop turn (setImmediate is never faked). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The clock installed now, if any: a test that failed before `uninstall()` leaves it behind. */
let installed: { uninstall(): void } | undefined;

/**
 * Fakes `setTimeout`, `clearTimeout` and `Date` until `uninstall()`. Pass the start time as a
 * number or as `{ start }`.
 * ```ts
 * const clock = await installClock();
 * await t.mutation(api.jobs.start, {});
 * await clock.advance(5_000); // everything due in the next 5 s runs, in time order
 * await clock.drain();        // until nothing is due within an hour
 * clock.uninstall();
 * ```
 * Prefer `withClock`, which uninstalls even when the test fails. A clock left installed by an
 * earlier test that failed before `uninstall()` is uninstalled first, so one failure does not
 * fail every later test with "Can't install fake timers twice".
 * @param options the simulated start time (ms since the epoch; default 2026-01-01), or `{ start, activity }`
 * @returns the clock: `advance`, `drain`, `drainUntil`, `settle`, `step`, `nextTimerAt`, `now`, `uninstall`
 */
export async function installClock(options: number | ClockOptions = {}) {
  const { start = Date.UTC(2026, 0, 1), activity } = typeof options === "number" ? { start: options } : options;
  const FakeTimers: typeof FakeTimersModule = (await import("@sinonjs/fake-timers")).default;
  installed?.uninstall();
  const clock = FakeTimers.install({ now: start, toFake: ["setTimeout", "clearTimeout", "Date"] });
  const handle = {
    uninstall() {
      if (installed !== handle) return; // already uninstalled: a second call is harmless
      installed = undefined;
      clock.uninstall();
    },
  };
  installed = handle;

  /**
   * Lets promises and convex-test's queued transactions run without moving time: until
   * `activity()` stops changing if it was given, else for `turns` real event-loop turns. Module
   * loads in flight are always waited for, however long they take.
   * @param turns without `activity`: how many real event-loop turns to yield
   */
  async function settle(turns = FIXED_TURNS) {
    do {
      await modulesLoaded();
      if (!activity) {
        for (let i = 0; i < turns; i++) await turn();
        continue;
      }
      let before: number;
      do {
        before = activity();
        await turn();
        await turn();
      } while (activity() !== before);
    } while (loadsInFlight());
  }

  /**
   * When the earliest pending timer fires, or Infinity.
   * @returns the due time in ms since the epoch, or Infinity when no timer is pending
   */
  function nextTimerAt(): number {
    // fake-timers keeps its timers in a Map (`clock.timers`); there is no public "peek" API.
    const timers = (clock as unknown as { timers?: Map<number, { callAt: number }> }).timers;
    let next = Infinity;
    for (const t of timers?.values() ?? []) next = Math.min(next, t.callAt);
    return next;
  }

  /**
   * Fires the earliest pending timer, moving time to it, without settling. False if none.
   * @returns false when no timer is pending
   */
  function step(): boolean {
    if (nextTimerAt() === Infinity) return false;
    clock.next();
    return true;
  }

  /**
   * Fires, one at a time and settling before each check, every timer due by `limit()`
   * (re-read after each, so a limit relative to now moves with time). Returns how many fired.
   */
  async function fireDue(limit: () => number, maxSteps = Infinity): Promise<number> {
    for (let fired = 0; ; fired++) {
      if (fired >= maxSteps) throw new Error("drain: work still scheduled after maxSteps timers");
      await settle();
      if (nextTimerAt() > limit()) return fired;
      step();
    }
  }

  /**
   * Moves time forward by `ms`, firing each timer at its own time and settling after each.
   * @param ms how far to move the clock
   */
  async function advance(ms: number) {
    const until = clock.now + ms;
    await fireDue(() => until);
    clock.tick(until - clock.now);
    await settle();
  }

  /**
   * Runs until no timer is due within `horizonMs` (retention clean-ups a day away don't count).
   * Returns the simulated time it took.
   * @param horizonMs timers further away than this are left pending (default one hour)
   * @param maxSteps throws after this many timers (a loop that keeps scheduling)
   * @returns the simulated ms it took
   */
  async function drain(horizonMs = 60 * 60_000, maxSteps = 1_000_000) {
    const from = clock.now;
    await fireDue(() => clock.now + horizonMs, maxSteps);
    return clock.now - from;
  }

  /**
   * Fires every timer due by the absolute time `at`, settling after each, but leaves the clock
   * at the last one fired (unlike `advance`). Returns how many fired.
   * @param at an absolute time, in ms since the epoch
   * @returns how many timers fired
   */
  function drainUntil(at: number): Promise<number> {
    return fireDue(() => at);
  }

  return {
    /** The underlying fake-timers clock. */
    clock,
    settle,
    advance,
    drain,
    drainUntil,
    step,
    nextTimerAt,
    /** Simulated now. */
    now: () => clock.now,
    /** Restores the real timers. Calling it again does nothing. */
    uninstall: () => handle.uninstall(),
  };
}

/**
 * Runs `fn` with a fake clock installed, and uninstalls it afterwards, also when `fn` throws:
 * ```ts
 * test("...", () => withClock(async (clock) => { ...; await clock.advance(1_000); ... }));
 * ```
 * @param options as for `installClock`
 * @returns what `fn` returns
 */
export async function withClock<T>(fn: (clock: Clock) => Promise<T>, options: number | ClockOptions = {}): Promise<T> {
  const clock = await installClock(options);
  try {
    return await fn(clock);
  } finally {
    clock.uninstall();
  }
}
