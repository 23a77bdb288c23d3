/**
 * What every seeded scenario starts with (./scenario.ts, ./flowScenario.ts): its PRNG, the
 * discrete-event clock driven by the functions' activity, a fresh convex-test instance, and a
 * trace that a failure replays when one seed runs alone.
 */
import { installClock } from "../../src/test.js";
import { resetSim } from "../app/sim.js";
import { setup } from "../setup.js";
import { activity, trackActivity } from "./activity.js";
import { rng } from "./model.js";

/** Thrown when an invariant fails; carries the seed so the scenario can be replayed alone. */
export class Violation extends Error {}

// Every registered function of the app and the component, loaded once and tracked, so the clock
// settles exactly as long as functions run. Test files are left out (importing one registers its tests).
const loaded = await Promise.all(
  Object.values({ ...import.meta.glob("../app/**/*.ts"), ...import.meta.glob(["../../src/component/**/*.ts", "!**/*.test.ts"]) }).map(
    (load) => load() as Promise<Record<string, unknown>>,
  ),
);
trackActivity(loaded);

/**
 * Starts scenario `seed`. `replay` is the command that runs it alone (named in failures); with
 * `verbose`, a failure carries the trace of everything `log` recorded. Uninstall the clock at the end.
 */
export async function openScenario(seed: number, replay: string, verbose: boolean) {
  const r = rng(seed);
  const clock = await installClock({ activity });
  resetSim();
  const t = setup();
  const start = clock.now();
  const trace: string[] = [];
  const log = (msg: string) => trace.push(`t+${clock.now() - start}: ${msg}`);
  const fail = (msg: string): never => {
    const where = `seed ${seed} (replay: ${replay}) at t+${clock.now() - start} ms: ${msg}`;
    throw new Violation(verbose ? `${where}\n${trace.join("\n")}` : where);
  };
  return { r, clock, t, log, fail };
}

/**
 * The scenario's body: 6 to 14 steps, each of 1 to 3 actions (`act` gets a random number in
 * [0, 1) and a random pool) and then a random advance of the clock, after which `check` runs.
 * Returns how many steps ran.
 */
export async function runSteps<P>(
  { r, clock, log }: Pick<Scenario, "r" | "clock" | "log">,
  pools: P[],
  act: (op: number, pool: P) => Promise<void>,
  check: () => Promise<void>,
): Promise<number> {
  const steps = r.int(6, 14);
  for (let step = 0; step < steps; step++) {
    const ops = r.int(1, 3);
    for (let i = 0; i < ops; i++) {
      const op = r.next();
      await act(op, r.pick(pools));
    }
    const ms = r.pick([0, 1, 5, 50, 400, 1_500, 5_000]);
    log(`advance ${ms} ms`);
    await clock.advance(ms);
    await check();
  }
  return steps;
}

export type Scenario = Awaited<ReturnType<typeof openScenario>>;
