/**
 * Migrations: the watchdog revives a driver step that died. Lives outside example/ because it
 * reaches into the component's source to kill one step (example/tests also run against the
 * packed build, where that module is not the one convex-test loads).
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import * as driver from "../src/component/migrations/driver";
import { setup } from "../example/tests/setup";
import { CREDITS, creditsHistogram, finish, one, run, seed, steps, users } from "../example/tests/migrationHelpers";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("migrations driver", () => {
  test("a driver step that dies (a deploy mid-action) is revived by the watchdog", async () => {
    const t = setup({ transactionLimits: true });
    await seed(t, 2000);
    await run(t, { fn: CREDITS });
    await steps(t, 1);
    // The next step action dies before it reports anything: scheduled actions are at-most-once.
    const step = driver.step as unknown as { _handler: (...a: unknown[]) => unknown };
    const real = step._handler;
    step._handler = async () => {
      step._handler = real;
      throw new Error("simulated: the action was killed by a deploy");
    };
    // convex-test logs a scheduled function that throws: expect exactly that log, and keep it
    // out of the output (an `npm test` with nothing failed prints no stack traces).
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    let errors: unknown[][];
    try {
      await steps(t, 1);
    } finally {
      step._handler = real;
      errors = [...logged.mock.calls];
      logged.mockRestore();
    }
    expect(errors).toEqual([
      [
        "Error when running scheduled function migrations/driver:step",
        expect.objectContaining({ message: "simulated: the action was killed by a deploy" }),
      ],
    ]);
    expect(await one(t, CREDITS)).toMatchObject({ state: "running", processed: 500, batches: 1 });
    await steps(t, 1); // nothing left to run but the watchdog, 5 minutes later: it revives the driver
    await finish(t);
    expect(await one(t, CREDITS)).toMatchObject({ state: "done", processed: 2000, batches: 4 });
    expect(creditsHistogram(await users(t))).toEqual({ "100": 2000 });
  });

});
