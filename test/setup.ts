/** convex-test with the test app and convex-jobs registered; `pool(...)` builds a client. */
import { convexTest } from "convex-test";
import { register } from "../src/test.js";
import { Workpool, type WorkpoolOptions } from "../src/client/index.js";
import { components } from "./app/_generated/api.js";
import schema from "./app/schema.js";
import * as worker from "../src/component/pool/worker.js";

export const modules = import.meta.glob("./app/**/*.ts");

// Load every module once up front: the discrete-event clock moves time whenever nothing can make
// progress, and a first-time module import (real I/O) would look like "nothing to do".
await Promise.all([...Object.values(modules), ...Object.values(import.meta.glob("../src/component/**/*.ts"))].map((load) => load()));

/** `transactionLimits`: true for Convex's limits, or an object to lower some of them. */
export function setup(opts: { transactionLimits?: boolean | Record<string, number> } = {}) {
  const t = convexTest({ schema, modules, transactionLimits: opts.transactionLimits ?? false });
  register(t);
  return t;
}

export function pool(options: Partial<WorkpoolOptions> = {}) {
  return new Workpool(components.jobs, { name: "test", maxParallelism: 3, ...options });
}


/** The test app's events of one kind (what job functions and callbacks recorded). */
export function events(t: ReturnType<typeof setup>, kind: string) {
  return t.run((ctx) => ctx.db.query("events").withIndex("by_kind", (q) => q.eq("kind", kind)).collect());
}

/**
 * Simulated crashes: an action job whose args say `die: n` has its first n runs die after the
 * action ran and before the worker reports (as a server restart would). Only the pool's
 * watchdog can then notice, from `_scheduled_functions`.
 */
const actionRun = worker.runActionJob as unknown as { _handler: (ctx: any, a: any) => Promise<unknown> };
const realActionRun = actionRun._handler;
actionRun._handler = async (ctx, a) => {
  if (!(a.attempt <= (a.args?.die ?? 0))) return await realActionRun(ctx, a);
  await ctx.runAction(a.fnHandle, a.args).catch(() => {});
  throw new Error(`simulated: the run of attempt ${a.attempt} died before reporting`);
};
