/**
 * The seeded fault simulation (test/soak/). `npm test` runs a fast subset; `npm run test:soak`
 * runs 1,000 scenarios (SOAK_SCENARIOS=n for another count, SOAK_SEED=s to replay one seed).
 * A failure names its seed. The figures (scenarios, jobs, faults by kind) are printed at the end.
 */
import { afterAll, expect, test } from "vitest";
import { Tally } from "./soak/model.js";
import { runScenario } from "./soak/scenario.js";
import { runSeeds, seedsFromEnv } from "./soak/seeds.js";

const { seeds, only } = seedsFromEnv("SOAK", 5);
const tally = new Tally();

test(`fault simulation: ${seeds.length} seeded scenario(s), every invariant after every step`, async () => {
  const violations = await runSeeds(seeds, (seed) => runScenario(seed, tally, only !== undefined));
  expect(violations, `${violations.length} of ${seeds.length} scenarios failed`).toEqual([]);
}, 3_600_000);

afterAll(() => {
  console.log(`soak: ${tally.scenarios} scenarios passed, ${tally.steps} steps, ${tally.jobs} jobs, faults: ${JSON.stringify(tally.faults)}`);
});
