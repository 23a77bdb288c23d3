/** A convex-test instance of the example app with convex-jobs registered, as a user would set it up. */
import { convexTest } from "convex-test";
import jobsTest, { register } from "convex-jobs/test";
import schema from "../convex/schema";

export const modules = import.meta.glob("../convex/**/*.ts");

// Tests that drive time with a discrete-event clock (test/clock.ts) move time whenever nothing
// can make progress; a first-time module import is real I/O, so load every module up front.
// (convex.config.ts only loads inside the Convex runtime, so it is left out.)
await Promise.all(
  [...Object.entries(modules), ...Object.entries(jobsTest.modules)]
    .filter(([path]) => !path.includes("convex.config"))
    .map(([, load]) => load()),
);

/** `modules`: extra app modules (a test's own functions), keyed like the glob ("../convex/x.ts"). */
export function setup(opts: { transactionLimits?: boolean; modules?: Record<string, () => Promise<any>> } = {}) {
  const t = convexTest({ schema, modules: { ...modules, ...opts.modules }, transactionLimits: opts.transactionLimits ?? false });
  register(t);
  return t;
}
