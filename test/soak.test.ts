/**
 * The seeded fault simulation (test/soak/). `npm test` runs a fast subset; `npm run test:soak`
 * runs 1,000 scenarios (SOAK_SCENARIOS=n for another count, SOAK_SEED=s to replay one seed).
 * A failure names its seed. The figures (scenarios, jobs, faults by kind) are printed at the end.
 */
import { afterAll, expect, test, vi } from "vitest";
import { Tally } from "./soak/model.js";
import { runScenario } from "./soak/scenario.js";

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const only = env.SOAK_SEED ? Number(env.SOAK_SEED) : undefined;
const count = Number(env.SOAK_SCENARIOS ?? 5);
const first = Number(env.SOAK_FIRST_SEED ?? 1);
const seeds = only !== undefined ? [only] : Array.from({ length: count }, (_, i) => first + i);
const tally = new Tally();

test(`fault simulation: ${seeds.length} seeded scenario(s), every invariant after every step`, async () => {
  // Faults are logged by the component (that is part of the contract); keep the output readable.
  const logs = ["error", "warn", "info", "log"].map((m) => vi.spyOn(console, m as "error").mockImplementation(() => {}));
  // Every seed runs; all violations are reported together, each with its seed.
  const violations: string[] = [];
  try {
    for (const seed of seeds) {
      try {
        await runScenario(seed, tally, only !== undefined);
      } catch (e) {
        violations.push(e instanceof Error ? e.message : String(e));
      }
    }
  } finally {
    logs.forEach((l) => l.mockRestore());
  }
  expect(violations, `${violations.length} of ${seeds.length} scenarios failed`).toEqual([]);
}, 3_600_000);

afterAll(() => {
  console.log(`soak: ${tally.scenarios} scenarios passed, ${tally.steps} steps, ${tally.jobs} jobs, faults: ${JSON.stringify(tally.faults)}`);
});
