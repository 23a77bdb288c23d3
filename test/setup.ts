/** convex-test with the test app and convex-jobs registered; `pool(...)` builds a client. */
import { convexTest } from "convex-test";
import { register } from "../src/test.js";
import { Workpool, type WorkpoolOptions } from "../src/client/index.js";
import { components } from "./app/_generated/api.js";
import schema from "./app/schema.js";

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
