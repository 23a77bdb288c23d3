/**
 * The helpers users' tests import from `convex-jobs/test`. This file must not import ./setup.ts:
 * setup loads every module up front, and the first test here checks that `register` makes the
 * clock reliable on its own, with the component's modules not yet loaded.
 */
import { convexTest } from "convex-test";
import { expect, test } from "vitest";
import { Workpool } from "../src/client/index.js";
import { installClock, preloadModules, register, withClock } from "../src/test.js";
import { isFunctionModulePath } from "../src/testing/modules.js";
import { components, internal } from "./app/_generated/api.js";
import schema from "./app/schema.js";

const modules = import.meta.glob("./app/**/*.ts");
const realTime = () => Date.now() > Date.UTC(2020, 0, 1);

test("register alone keeps the clock from jumping time while the component's modules first load", () =>
  withClock(async (clock) => {
    const t = convexTest(schema, modules);
    register(t, { modules });
    const pool = new Workpool(components.jobs, { name: "cold", maxParallelism: 1 });
    await t.run(async (ctx) => {
      for (let i = 0; i < 10; i++) await pool.enqueueMutation(ctx, internal.fns.write, { key: `k${i}` });
    });
    await clock.advance(1_000);
    // Ten mutation jobs one at a time take a few ms of simulated time, not a watchdog period.
    expect(await t.run((ctx) => pool.stats(ctx))).toMatchObject({ pending: 0, running: 0, succeeded: 10 });
  }, 0));

test("withClock uninstalls the clock when the test body throws", async () => {
  await expect(
    withClock(async () => {
      expect(Date.now()).toBe(0);
      throw new Error("the test failed");
    }, 0),
  ).rejects.toThrow("the test failed");
  expect(realTime()).toBe(true);
  // A second clock installs cleanly.
  await withClock(async (clock) => expect(clock.now()).toBe(5), 5);
});

test("a clock a failed test left installed is replaced, not an error; uninstall twice is harmless", async () => {
  const leftover = await installClock(0);
  const clock = await installClock(1_000);
  expect(Date.now()).toBe(1_000);
  leftover.uninstall(); // no longer installed: does nothing
  expect(Date.now()).toBe(1_000);
  clock.uninstall();
  clock.uninstall();
  expect(realTime()).toBe(true);
});

test("preloading skips convex.config, tests and declarations, and survives a module that throws", async () => {
  expect(["./convex.config.ts", "./a.test.ts", "./b.spec.js", "./_generated/api.d.ts"].filter(isFunctionModulePath)).toEqual([]);
  expect(["./counters.ts", "./_generated/api.js", "./nested/fns.ts"].every(isFunctionModulePath)).toBe(true);
  const loaded: string[] = [];
  const load = (path: string, fail = false) => async () => {
    loaded.push(path);
    if (fail) throw new Error(`${path} cannot load here`);
  };
  await preloadModules({
    "./convex.config.ts": load("./convex.config.ts", true),
    "./jobs.test.ts": load("./jobs.test.ts"),
    "./broken.ts": load("./broken.ts", true),
    "./counters.ts": load("./counters.ts"),
  });
  expect(loaded).toEqual(["./broken.ts", "./counters.ts"]);
});
