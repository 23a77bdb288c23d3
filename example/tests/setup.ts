/** A convex-test instance of the example app with convex-jobs registered, as a user would set it up. */
import { convexTest } from "convex-test";
import { register } from "convex-jobs/test";
import schema from "../convex/schema";

export const modules = import.meta.glob("../convex/**/*.ts");

/** `modules`: extra app modules (a test's own functions), keyed like the glob ("../convex/x.ts"). */
export function setup(opts: { transactionLimits?: boolean; modules?: Record<string, () => Promise<any>> } = {}) {
  const all = { ...modules, ...opts.modules };
  const t = convexTest({ schema, modules: all, transactionLimits: opts.transactionLimits ?? false });
  // With `modules`, register loads the app's modules and the component's up front, and the fake
  // clock (`installClock`/`withClock` from convex-jobs/test, used by tests/weather.test.ts and tests/webhooks.test.ts) waits
  // for them: a first import never looks like idle time.
  register(t, { modules: all });
  return t;
}
