/** convex-test with the test app and convex-jobs registered; `pool(...)` builds a client. */
import { convexTest } from "convex-test";
import { register } from "../src/test.js";
import { Workpool, type WorkpoolOptions } from "../src/client/index.js";
import { components } from "./app/_generated/api.js";
import schema from "./app/schema.js";
import { live } from "./app/fns.js";
import * as runner from "../src/component/pool/runner.js";
import { internal } from "../src/component/_generated/api.js";

export const modules = import.meta.glob("./app/**/*.ts");

// Load every module once up front (not the unit tests beside them, which would run again in
// every file importing this one): the discrete-event clock moves time whenever nothing can make
// progress, and a first-time module import (real I/O) would look like "nothing to do".
await Promise.all([...Object.values(modules), ...Object.values(import.meta.glob(["../src/component/**/*.ts", "!../src/component/**/*.test.ts"]))].map((load) => load()));

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

/** onComplete calls recorded by the test app's `fns.done`: [jobId, context] pairs, in order. */
export async function doneCallbacks(t: ReturnType<typeof setup>) {
  return (await events(t, "done")).map((e: any) => [e.key, e.data.context]);
}

/** Start times (simulated ms, relative to `t0`) of the test app's flaky action's attempts for `key`. */
export function startsOf(key: string, t0: number) {
  return live.started.filter((s) => s.startsWith(`${key}#`)).map((s) => Number(s.split("@")[1]) - t0);
}

/**
 * Simulated crashes: an action job whose args say `die: n` has its first n runs die after the
 * action ran and before anything is reported (as a server restart would): the whole runner dies,
 * so its batch-mates' outcomes are lost too. Only the pool's watchdog can then notice, from
 * `_scheduled_functions`.
 */
type Handler = (ctx: any, a: any) => Promise<unknown>;
const runActions = runner.runActions as unknown as { _handler: Handler };
const realRunActions = runActions._handler;
runActions._handler = async (ctx, a) => {
  const { run } = await ctx.runQuery(internal.pool.runner.claim, { jobs: a.jobs });
  if (!run.some((j: any) => j.attempt <= (j.args?.die ?? 0))) return await realRunActions(ctx, a);
  await Promise.all(run.map((j: any) => ctx.runAction(j.fnHandle, j.args).catch(() => {})));
  throw new Error(`simulated: the runner of attempts ${run.map((j: any) => j.attempt).join(", ")} died before reporting`);
};
