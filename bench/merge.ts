/**
 * Merging a partial run into bench/results.json (`npm run bench -- --merge <workloads>`), so that
 * new workloads can join the report without a full 20-minute run.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { WorkloadResult } from "./measure.js";
import { checkTargets, type TargetResult } from "./targets.js";
import { IMPLEMENTATIONS, WORKLOADS } from "./workloads.js";

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * `--merge`: puts a subset's results into bench/results.json in place of the entries with the
 * same (workload, implementation), in WORKLOADS order, keeping every other entry (and the full
 * run's header: versions, wall time) as it is. Targets are evaluated again over the merged
 * workloads; targets an extra benchmark returned are kept. `mergedLater` lists the workloads
 * whose figures came from such a run (docs/benchmark.md says so); a full run clears it.
 */
export function mergeIntoResults(fresh: WorkloadResult[]) {
  const file = path.join(here, "results.json");
  const stored = JSON.parse(readFileSync(file, "utf8")) as { workloads: WorkloadResult[]; targets: TargetResult[]; mergedLater?: string[] };
  const same = (a: WorkloadResult, b: WorkloadResult) => a.name === b.name && a.implementation === b.implementation;
  const kept = stored.workloads.filter((r) => !fresh.some((f) => same(f, r)));
  const order = (r: WorkloadResult) => WORKLOADS.findIndex((w) => w.name === r.name) * 10 + IMPLEMENTATIONS.indexOf(r.implementation);
  const workloads = [...kept, ...fresh].sort((a, b) => order(a) - order(b));
  const recomputed = checkTargets(workloads);
  const extraTargets = stored.targets.filter((t) => !recomputed.some((c) => c.target === t.target));
  const mergedLater = [...new Set([...(stored.mergedLater ?? []), ...fresh.map((r) => r.name)])];
  writeFileSync(file, JSON.stringify({ ...stored, workloads, targets: [...recomputed, ...extraTargets], mergedLater }, null, 2) + "\n");
  console.log(`merged ${fresh.length} result(s) into bench/results.json (${mergedLater.join(", ")} from partial runs)`);
}
