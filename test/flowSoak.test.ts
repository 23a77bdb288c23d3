/**
 * The seeded flow-control simulation (test/soak/flowScenario.ts): priorities, concurrency keys,
 * rate limits, pause/resume of pools and keys, retries, RateLimitedError and cancels, mixed at
 * random; every invariant (caps, per-key caps, buckets, pauses, start order, exactly-once) is
 * checked after every step. `npm test` runs 20 scenarios; FLOW_SOAK_SCENARIOS=n runs n,
 * FLOW_SOAK_SEED=s replays one seed with its trace. A failure names its seed.
 */
import { afterAll, expect, test } from "vitest";
import { Tally } from "./soak/model.js";
import { runFlowScenario } from "./soak/flowScenario.js";
import { runSeeds, seedsFromEnv } from "./soak/seeds.js";

const { seeds, only } = seedsFromEnv("FLOW_SOAK", 20);
const tally = new Tally();

test(`flow-control simulation: ${seeds.length} seeded scenario(s), every invariant after every step`, async () => {
  const violations = await runSeeds(seeds, (seed) => runFlowScenario(seed, tally, only !== undefined));
  expect(violations, `${violations.length} of ${seeds.length} scenarios failed`).toEqual([]);
}, 3_600_000);

afterAll(() => {
  console.log(`flow soak: ${tally.scenarios} scenarios passed, ${tally.steps} steps, ${tally.jobs} jobs, counts: ${JSON.stringify(tally.faults)}`);
});
