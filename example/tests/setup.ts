/** A convex-test instance of the example app with convex-jobs registered, as a user would set it up. */
import { convexTest } from "convex-test";
import { register } from "convex-jobs/test";
import schema from "../convex/schema";

export const modules = import.meta.glob("../convex/**/*.ts");

export function setup(opts: { transactionLimits?: boolean } = {}) {
  const t = convexTest({ schema, modules, transactionLimits: opts.transactionLimits ?? false });
  register(t);
  return t;
}
