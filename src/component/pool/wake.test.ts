/**
 * Unit tests of planWake: when the dispatcher runs next and what it publishes for enqueue.
 * The scenarios these decisions serve run end to end in test/pool.test.ts and test/conflicts.test.ts.
 */
import { describe, expect, test } from "vitest";
import { CONFIRM_AFTER_MS, planWake, WATCHDOG_MS, type WakeInput } from "./wake.js";

const now = 1_000_000;
const mutation = { kind: "mutation" as const };
const query = { kind: "query" as const };
const action = { kind: "action" as const };
const actions = (n: number) => Array.from({ length: n }, () => action);

/** A run that made progress on an idle pool with nothing pending; `over` changes what the test is about. */
function input(over: Partial<Omit<WakeInput, "state">> & { state?: Partial<WakeInput["state"]> } = {}): WakeInput {
  const { state, ...rest } = over;
  return {
    now,
    running: [],
    maxParallelism: 10,
    progress: true,
    moreWork: false,
    nextDelayedAt: null,
    nextExpiry: null,
    watchdogChecked: false,
    ...rest,
    state: { idleFollowUps: 0, wakeAt: null, confirmAt: undefined, watchdogAt: undefined, ...state },
  };
}

describe("planWake", () => {
  test("an idle pool with nothing due arms no timer and leaves enqueue to schedule a run", () => {
    expect(planWake(input())).toEqual({
      followUpAt: undefined,
      idleFollowUps: 0,
      covered: false,
      wakeAt: null,
      confirmAt: undefined,
      watchdogAt: undefined,
      timerAt: null,
    });
  });

  describe("follow-ups while mutation or query jobs are in flight", () => {
    test("right away after a run that made progress, covering the pool", () => {
      for (const job of [mutation, query]) {
        const plan = planWake(input({ running: [job, action] }));
        expect(plan.followUpAt).toBe(now);
        expect(plan.idleFollowUps).toBe(0);
        expect(plan.covered).toBe(true);
        expect(plan.wakeAt).toBe(0);
        expect(plan.timerAt).toBe(now);
      }
    });

    test("out of the pool's tokens, the follow-up waits for the next token when it is due within a second", () => {
      const soon = planWake(input({ running: [mutation], nextTokenAt: now + 100, nextDelayedAt: now + 100 }));
      expect(soon.followUpAt).toBe(now + 100);
      expect(soon.timerAt).toBe(now + 100);
      // Still covered: a job enqueued meanwhile could not start before that token either.
      expect(soon.covered).toBe(true);
      expect(soon.wakeAt).toBe(0);
      // A token far off: the jobs in flight are collected now, not an hour later.
      expect(planWake(input({ running: [mutation], nextTokenAt: now + 3_600_000 })).followUpAt).toBe(now);
      // Work left over (tallies to fold, say) is not held back.
      expect(planWake(input({ running: [mutation], nextTokenAt: now + 100, moreWork: true })).followUpAt).toBe(now);
    });

    test("none for action jobs alone: their completions wake the dispatcher", () => {
      const plan = planWake(input({ running: actions(3) }));
      expect(plan.followUpAt).toBeUndefined();
      expect(plan.covered).toBe(false);
      expect(plan.wakeAt).toBeNull();
    });

    test("back off while runs see no progress: 10, 20, 40 ms ... up to 1 s", () => {
      const delays = [0, 1, 2, 3, 6, 7, 20].map((idle) => {
        const plan = planWake(input({ running: [mutation], progress: false, state: { idleFollowUps: idle } }));
        expect(plan.idleFollowUps).toBe(idle + 1);
        return plan.followUpAt! - now;
      });
      expect(delays).toEqual([10, 20, 40, 80, 640, 1_000, 1_000]);
    });

    test("progress resets the backoff", () => {
      const plan = planWake(input({ running: [mutation], progress: true, state: { idleFollowUps: 5 } }));
      expect(plan.followUpAt).toBe(now);
      expect(plan.idleFollowUps).toBe(0);
    });

    test("the idle count is reset once no mutation or query job is in flight", () => {
      expect(planWake(input({ running: [action], progress: false, state: { idleFollowUps: 4 } })).idleFollowUps).toBe(0);
      expect(planWake(input({ progress: false, state: { idleFollowUps: 4 } })).idleFollowUps).toBe(0);
    });
  });

  test("work left for another run brings a run right away, covering the pool", () => {
    const plan = planWake(input({ moreWork: true }));
    expect(plan.followUpAt).toBe(now);
    expect(plan.covered).toBe(true);
    expect(plan.wakeAt).toBe(0);
    expect(plan.timerAt).toBe(now);
  });

  describe("covered when saturated", () => {
    test("every slot busy: a completion will wake the dispatcher, so enqueue need not", () => {
      const plan = planWake(input({ running: actions(10) }));
      expect(plan.covered).toBe(true);
      expect(plan.wakeAt).toBe(0);
      expect(plan.followUpAt).toBeUndefined();
    });

    test("a free slot: enqueue must schedule a run", () => {
      const plan = planWake(input({ running: actions(9) }));
      expect(plan.covered).toBe(false);
      expect(plan.wakeAt).toBeNull();
    });

    test("a paused pool (maxParallelism 0) with nothing running is not covered, and delayed jobs wait", () => {
      const plan = planWake(input({ maxParallelism: 0, nextDelayedAt: now + 3_000 }));
      expect(plan.covered).toBe(false);
      expect(plan.wakeAt).toBeNull();
      expect(plan.timerAt).toBeNull();
    });

    test("over the limit (maxParallelism lowered) still counts as saturated", () => {
      expect(planWake(input({ running: actions(12), maxParallelism: 10 })).covered).toBe(true);
    });
  });

  describe("the confirm time", () => {
    test("is set when the pool stops being covered", () => {
      const plan = planWake(input({ state: { wakeAt: 0 } }));
      expect(plan.covered).toBe(false);
      expect(plan.confirmAt).toBe(now + CONFIRM_AFTER_MS);
      expect(plan.timerAt).toBe(now + CONFIRM_AFTER_MS);
    });

    test("is not set while the pool stays covered, nor when it was not covered before", () => {
      expect(planWake(input({ running: actions(10), state: { wakeAt: 0 } })).confirmAt).toBeUndefined();
      expect(planWake(input({ state: { wakeAt: null } })).confirmAt).toBeUndefined();
      expect(planWake(input({ state: { wakeAt: undefined } })).confirmAt).toBeUndefined();
    });

    test("is kept until due, whether or not the pool is covered", () => {
      const confirmAt = now + 500;
      expect(planWake(input({ state: { confirmAt } })).confirmAt).toBe(confirmAt);
      expect(planWake(input({ running: actions(10), state: { wakeAt: 0, confirmAt } })).confirmAt).toBe(confirmAt);
      expect(planWake(input({ state: { confirmAt } })).timerAt).toBe(confirmAt);
    });

    test("is dropped once due", () => {
      expect(planWake(input({ state: { confirmAt: now } })).confirmAt).toBeUndefined();
      expect(planWake(input({ state: { confirmAt: now - 1 } })).confirmAt).toBeUndefined();
      expect(planWake(input({ state: { confirmAt: now } })).timerAt).toBeNull();
    });

    test("a pool that stops being covered again moves it to a fresh one", () => {
      expect(planWake(input({ state: { wakeAt: 0, confirmAt: now + 500 } })).confirmAt).toBe(now + CONFIRM_AFTER_MS);
    });
  });

  describe("the watchdog", () => {
    test("is armed when jobs start running", () => {
      const plan = planWake(input({ running: [action] }));
      expect(plan.watchdogAt).toBe(now + WATCHDOG_MS);
      expect(plan.timerAt).toBe(now + WATCHDOG_MS);
    });

    test("keeps its time across runs that did not check", () => {
      const watchdogAt = now + 7_000;
      expect(planWake(input({ running: [action], state: { watchdogAt } })).watchdogAt).toBe(watchdogAt);
    });

    test("is re-armed by a run that checked for dead runs", () => {
      const plan = planWake(input({ running: [action], watchdogChecked: true, state: { watchdogAt: now - 5 } }));
      expect(plan.watchdogAt).toBe(now + WATCHDOG_MS);
    });

    test("is dropped when nothing runs", () => {
      expect(planWake(input({ state: { watchdogAt: now + 7_000 } })).watchdogAt).toBeUndefined();
    });
  });

  describe("delayed jobs", () => {
    test("with a free slot, the next delayed job sets the timer", () => {
      expect(planWake(input({ nextDelayedAt: now + 3_000 })).timerAt).toBe(now + 3_000);
      expect(planWake(input({ running: actions(9), nextDelayedAt: now + 3_000 })).timerAt).toBe(now + 3_000);
    });

    test("with every slot busy, they wait for a completion", () => {
      const plan = planWake(input({ running: actions(10), nextDelayedAt: now + 3_000 }));
      expect(plan.timerAt).toBe(now + WATCHDOG_MS);
    });
  });

  test("the next expiry of a finished job sets the timer", () => {
    expect(planWake(input({ nextExpiry: now + 60_000 })).timerAt).toBe(now + 60_000);
  });

  test("the earliest candidate wins", () => {
    const base = { running: [action], nextDelayedAt: now + 4_000, nextExpiry: now + 5_000, state: { watchdogAt: now + 3_000, confirmAt: now + 2_500 } };
    expect(planWake(input(base)).timerAt).toBe(now + 2_500);
    expect(planWake(input({ ...base, nextExpiry: now + 100 })).timerAt).toBe(now + 100);
    expect(planWake(input({ ...base, nextDelayedAt: now + 200 })).timerAt).toBe(now + 200);
    expect(planWake(input({ ...base, state: { ...base.state, watchdogAt: now + 300 } })).timerAt).toBe(now + 300);
    expect(planWake(input({ ...base, running: [mutation] })).timerAt).toBe(now);
  });

  test("a delayed job already due sets a timer in the past (it runs at once)", () => {
    expect(planWake(input({ nextDelayedAt: now - 50 })).timerAt).toBe(now - 50);
  });
});
