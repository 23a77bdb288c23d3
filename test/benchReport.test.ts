// @vitest-environment node
/**
 * docs/benchmark.md and the README's cost table are generated from bench/results.json
 * (`npm run bench:report`); they must not drift from it. CI also runs `npm run bench:report -- --check`.
 */
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { fmt } from "../bench/format.js";
import type { WorkloadResult } from "../bench/measure.js";
import { benchmarkDoc, readmeWithTable, staleFiles, TABLE_END, TABLE_START } from "../bench/report.js";

const results = JSON.parse(readFileSync(new URL("../bench/results.json", import.meta.url), "utf8"));

test("docs/benchmark.md and the README's cost table match bench/results.json", () => {
  expect(staleFiles()).toEqual([]);
});

test("the README's table is replaced between its markers only", () => {
  const readme = `intro\n${TABLE_START}\nold table\n${TABLE_END}\noutro\n`;
  const out = readmeWithTable(readme, results);
  expect(out.startsWith(`intro\n${TABLE_START}\n`)).toBe(true);
  expect(out.endsWith(`${TABLE_END}\noutro\n`)).toBe(true);
  expect(out).not.toContain("old table");
  expect(out).toContain("| 500 x 1 s actions, p=10 |");
  expect(out).toContain("| conflicts in user code |");
  expect(() => readmeWithTable("no markers here", results)).toThrow(/markers are missing/);
});

test("docs/benchmark.md explains the conflict model and gives every run's modeled conflicts", () => {
  const doc = benchmarkDoc(results);
  expect(doc).toContain("## Conflict model");
  for (const r of results.workloads as WorkloadResult[]) {
    const c = r.conflicts;
    const cells = [r.name, r.implementation, fmt(c.transactions / r.jobs), fmt(c.perJob, 3), fmt(c.userCodePerJob, 3), fmt(c.noUserCodePerJob, 3)];
    expect(doc).toContain(`| ${cells.join(" | ")} |`);
    for (const p of c.byPair) expect(doc).toContain(`| ${[r.name, r.implementation, p.victim].join(" | ")} |`);
  }
});
