/** convex-test with the test app and convex-jobs registered; `pool(...)` builds a client. */
import { convexTest } from "convex-test";
import { register } from "../src/test.js";
import { Workpool, type WorkpoolOptions } from "../src/client/index.js";
import { components } from "./app/_generated/api.js";
import schema from "./app/schema.js";

export const modules = import.meta.glob("./app/**/*.ts");

export function setup(opts: { transactionLimits?: boolean } = {}) {
  const t = convexTest({ schema, modules, transactionLimits: opts.transactionLimits ?? false });
  register(t);
  return t;
}

export function pool(options: Partial<WorkpoolOptions> = {}) {
  return new Workpool(components.jobs, { name: "test", maxParallelism: 3, ...options });
}

