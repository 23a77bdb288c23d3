/**
 * Fault injection for the simulation: the next scheduled run of a kind dies, or the next dispatch
 * runs throw. Done by swapping a registered function's `_handler` (convex-test calls it at each
 * invocation), so the component runs unmodified otherwise. Every swap is undone by `restoreAll`.
 */
import * as dispatchModule from "../../src/component/pool/dispatch";
import * as runnerModule from "../../src/component/pool/runner";
import * as workerModule from "../../src/component/pool/worker";
import { abortJobs } from "../app/sim.js";

type Handler = (ctx: any, args: any) => Promise<unknown>;
type Registered = { _handler: Handler };

/** How a run dies: before doing anything, halfway (its jobs die with it), or after finishing its work. */
export type KillMode = "before" | "mid" | "after";

const originals = new Map<Registered, Handler>();

function patch(fn: Registered, make: (real: Handler, restore: () => void) => Handler) {
  if (!originals.has(fn)) originals.set(fn, fn._handler);
  const real = originals.get(fn)!;
  fn._handler = make(real, () => {
    fn._handler = real;
  });
}

/** Undoes every patch (call between scenarios). */
export function restoreAll() {
  dispatchFaultsLeft = 0;
  lastDispatchFaultAt = -Infinity;
  for (const [fn, real] of originals) fn._handler = real;
  originals.clear();
}


/**
 * The next `n` dispatch runs throw after doing their work (so it all rolls back), as a bug or an
 * exceeded transaction limit would. `onFault` hears each one.
 */
export function failDispatches(n: number, onFault: () => void): boolean {
  // One burst at a time, and not until the last one's retries have run: at most 3 failures in a
  // row, so the retries' backoff (100 + 200 + 400 ms) fits in the checks' grace period. Longer
  // runs of failures are tested on their own (test/dispatchFailure.test.ts): the pool resumes
  // after the backoff, which doubles with each failure.
  if (dispatchFaultsLeft > 0 || Date.now() - lastDispatchFaultAt < 2_000) return false;
  dispatchFaultsLeft = n;
  patch(dispatchModule.run as unknown as Registered, (real, restore) => async (ctx, args) => {
    if (--dispatchFaultsLeft <= 0) restore();
    await real(ctx, args);
    lastDispatchFaultAt = Date.now();
    onFault();
    throw new Error("simulated: the dispatch run exceeded a transaction limit");
  });
  return true;
}
let dispatchFaultsLeft = 0;
let lastDispatchFaultAt = -Infinity;

/**
 * The next action runner dies. `killAfterMs` is how long a "mid" runner lives. `onKill` gets the
 * ids of the jobs the runner was given.
 */
export function killNextRunner(mode: KillMode, killAfterMs: number, keyOf: (jobId: string) => string | undefined, onKill: (jobIds: string[]) => void) {
  patch(runnerModule.runActions as unknown as Registered, (real, restore) => async (ctx, args) => {
    restore();
    const jobIds: string[] = args.jobs.map((j: { jobId: string }) => j.jobId);
    onKill(jobIds);
    if (mode === "before") throw new Error("simulated: the runner died at start");
    if (mode === "after") {
      await real(ctx, args);
      throw new Error("simulated: the runner died after its work");
    }
    // Halfway: the runner's process is gone. Whatever its jobs had not reported is lost, and
    // the jobs still running die with it.
    let dead = false;
    const guarded = new Proxy(ctx, {
      get(target, prop) {
        const value = target[prop];
        if (typeof value !== "function") return value;
        return (...a: unknown[]) => {
          if (dead) throw new Error("simulated: the runner is dead");
          return value.apply(target, a);
        };
      },
    });
    void real(guarded, args).catch(() => {});
    await new Promise((r) => setTimeout(r, killAfterMs));
    dead = true;
    abortJobs(jobIds.map(keyOf).filter((k): k is string => k !== undefined));
    throw new Error("simulated: the runner was killed halfway");
  });
}

/** The next mutation worker dies: before running its job, or after (its writes roll back). */
export function killNextWorker(mode: Exclude<KillMode, "mid">, onKill: (jobId: string) => void) {
  patch(workerModule.runMutationJob as unknown as Registered, (real, restore) => async (ctx, args) => {
    restore();
    onKill(args.jobId);
    if (mode === "after") await real(ctx, args);
    throw new Error(`simulated: the mutation worker died ${mode} its job`);
  });
}
