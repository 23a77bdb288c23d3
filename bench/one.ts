/**
 * Runs ONE workload on ONE implementation and writes its result as JSON: the child process that
 * bench/run.ts spawns per (workload, implementation), so that timers left over from one
 * convex-test run cannot move the next one's clock, and workloads can run in parallel.
 *
 *   tsx bench/one.ts <workload> <implementation> <out.json>
 *
 * Console output of the functions is kept in memory and printed only if the run fails.
 */
import { writeFileSync } from "node:fs";
import { captureConsole, seedRandom } from "../scripts/lib/determinism.js";

const [name, implementation, out] = process.argv.slice(2);
if (!name || !implementation || !out) {
  throw new Error("usage: tsx bench/one.ts <workload> <implementation> <out.json>");
}
seedRandom(1);
const captured = captureConsole();
try {
  const { IMPLEMENTATIONS, workloadNamed } = await import("./workloads.js");
  const { runWorkload } = await import("./measure.js");
  if (!(IMPLEMENTATIONS as readonly string[]).includes(implementation)) {
    throw new Error(`Unknown implementation "${implementation}". Known: ${IMPLEMENTATIONS.join(", ")}.`);
  }
  const w = workloadNamed(name);
  const r = await runWorkload(w, implementation as (typeof IMPLEMENTATIONS)[number]);
  writeFileSync(out, JSON.stringify(r));
} catch (e) {
  process.stderr.write(`${captured().join("\n")}\n\n${name} on ${implementation} failed:\n`);
  throw e;
}
