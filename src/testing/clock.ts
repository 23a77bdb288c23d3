/**
 * A discrete-event clock for convex-test: fake setTimeout/Date, real setImmediate. In-flight work
 * settles on real event-loop turns; time only jumps to the next timer when nothing can progress,
 * so simulated time means something (unlike `vi.runAllTimers`, which jumps to the last timer,
 * a day-later retention clean-up included).
 *
 * Needs `@sinonjs/fake-timers` (a dev dependency of your app); it is loaded on first use.
 * Load your modules before driving the clock (a first-time import is real I/O, which the clock
 * would mistake for "nothing to do"): `await Promise.all(Object.values(modules).map((m) => m()))`.
 */
import type FakeTimersModule from "@sinonjs/fake-timers";

/** The clock `installClock()` returns. */
export type Clock = Awaited<ReturnType<typeof installClock>>;

/**
 * Fakes `setTimeout`, `clearTimeout` and `Date` (starting at `start`) until `uninstall()`.
 * ```ts
 * const clock = await installClock();
 * await t.mutation(api.jobs.start, {});
 * await clock.advance(5_000); // everything due in the next 5 s runs, in time order
 * await clock.drain();        // until nothing is due within an hour
 * clock.uninstall();
 * ```
 */
export async function installClock(start = Date.UTC(2026, 0, 1)) {
  const FakeTimers: typeof FakeTimersModule = (await import("@sinonjs/fake-timers")).default;
  const clock = FakeTimers.install({ now: start, toFake: ["setTimeout", "clearTimeout", "Date"] });

  /** Lets promises and convex-test's queued transactions run without moving time. */
  async function settle(turns = 40) {
    for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
  }

  /** When the earliest pending timer fires, or Infinity. */
  function nextTimerAt(): number {
    // fake-timers keeps its timers in a Map (`clock.timers`); there is no public "peek" API.
    const timers = (clock as unknown as { timers?: Map<number, { callAt: number }> }).timers;
    let next = Infinity;
    for (const t of timers?.values() ?? []) next = Math.min(next, t.callAt);
    return next;
  }

  /** Moves time forward by `ms`, firing each timer at its own time and settling after each. */
  async function advance(ms: number) {
    const until = clock.now + ms;
    for (;;) {
      await settle();
      const next = nextTimerAt();
      if (next > until) break;
      clock.tick(Math.max(0, next - clock.now));
    }
    clock.tick(until - clock.now);
    await settle();
  }

  /**
   * Runs until no timer is due within `horizonMs` (retention clean-ups a day away don't count).
   * Returns the simulated time it took.
   */
  async function drain(horizonMs = 60 * 60_000, maxSteps = 1_000_000) {
    const start = clock.now;
    for (let step = 0; step < maxSteps; step++) {
      await settle();
      const next = nextTimerAt();
      if (next > clock.now + horizonMs) return clock.now - start;
      clock.tick(Math.max(0, next - clock.now));
    }
    throw new Error("drain: work still scheduled after maxSteps timers");
  }

  return {
    /** The underlying fake-timers clock. */
    clock,
    settle,
    advance,
    drain,
    nextTimerAt,
    /** Simulated now. */
    now: () => clock.now,
    /** Restores the real timers. */
    uninstall: () => clock.uninstall(),
  };
}
