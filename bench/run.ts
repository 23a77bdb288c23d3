/**
 * `npm run bench`: the work-pool benchmark. Deterministic: convex-test under a simulated clock
 * driven as a discrete-event loop (scripts/lib/clock.ts). Prints a table of per-job figures and
 * the targets (PASS/MISS), and writes bench/results.json. docs/benchmark.md explains each figure.
 *
 *   npm run bench                      # every workload, writes bench/results.json
 *   npm run bench -- mut-1k-p10 act-500-p10   # only these (results.json is left alone)
 *
 * Adding a workload: append to WORKLOADS (and, if it has a target, to TARGETS). Adding another
 * benchmark: see EXTRA_BENCHMARKS at the bottom.
 */
import { existsSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runWorkload, type Workload, type WorkloadResult } from "./workloads.js";

const here = path.dirname(fileURLToPath(import.meta.url));

export const WORKLOADS: Workload[] = [
  { name: "mut-1k-p1", kind: "mutation", jobs: 1_000, pool: "serial", maxParallelism: 1, transactionLimits: true },
  { name: "mut-1k-p10", kind: "mutation", jobs: 1_000, pool: "p10", maxParallelism: 10, transactionLimits: true },
  { name: "act-500-p10", kind: "action", jobs: 500, pool: "p10", maxParallelism: 10, durationMs: 1_000, transactionLimits: true },
  { name: "act-2k-p50", kind: "action", jobs: 2_000, pool: "p50", maxParallelism: 50, durationMs: 1_000, transactionLimits: true },
  { name: "mut-20k-p10", kind: "mutation", jobs: 20_000, pool: "p10", maxParallelism: 10, transactionLimits: true },
  {
    name: "retry-500-p10",
    kind: "action",
    jobs: 500,
    pool: "retry10",
    maxParallelism: 10,
    durationMs: 1_000,
    failFirst: 2,
    backoffMs: [1_000, 2_000],
    transactionLimits: true,
  },
  // Streamed: producers keep enqueueing while the pool works (5 jobs per 100 ms at p=10, 25 at p=50).
  { name: "stream-act-500-p10", kind: "action", jobs: 500, pool: "p10", maxParallelism: 10, durationMs: 200, stream: { perTick: 5, everyMs: 100 }, transactionLimits: true },
  { name: "stream-act-2k-p50", kind: "action", jobs: 2_000, pool: "p50", maxParallelism: 50, durationMs: 200, stream: { perTick: 25, everyMs: 100 }, transactionLimits: true },
  { name: "stream-mut-1k-p10", kind: "mutation", jobs: 1_000, pool: "p10", maxParallelism: 10, stream: { perTick: 5, everyMs: 10 }, transactionLimits: true },
];

/** One line of the targets table. `pass: null` when the workloads it needs did not run. */
export interface TargetResult {
  target: string;
  figure: string;
  pass: boolean | null;
}

/** A transaction using more than this share of any Convex limit counts as "near" it. */
const NEAR_LIMIT = 0.25;
/** Per-job figures may differ by this much between 1,000 and 20,000 jobs and still be "flat". */
const FLAT_TOLERANCE = 0.1;

const fmt = (x: number, digits = 2) => x.toFixed(digits);
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

type Check = (byName: Map<string, WorkloadResult>, all: WorkloadResult[]) => TargetResult;

function need(byName: Map<string, WorkloadResult>, target: string, names: string[]) {
  const found = names.map((n) => byName.get(n));
  return found.every(Boolean) ? (found as WorkloadResult[]) : null;
}

const TARGETS: Check[] = [
  (by) => {
    const target = "action makespan within 1% of ideal";
    const rs = need(by, target, ["act-500-p10", "act-2k-p50"]);
    if (!rs) return { target, figure: "(not run)", pass: null };
    return {
      target,
      figure: rs.map((r) => `${r.name} +${pct(r.ratioToIdeal! - 1)}`).join(", "),
      pass: rs.every((r) => r.ratioToIdeal! <= 1.01),
    };
  },
  (by) => {
    const target = "serial mutation jobs < 10 simulated ms each";
    const rs = need(by, target, ["mut-1k-p1"]);
    if (!rs) return { target, figure: "(not run)", pass: null };
    return { target, figure: `${fmt(rs[0].msPerJob)} ms/job`, pass: rs[0].msPerJob < 10 };
  },
  (by) => {
    const target = "p=10: <= 1.2 calls per mutation job";
    const rs = need(by, target, ["mut-1k-p10", "mut-20k-p10"]);
    if (!rs) return { target, figure: "(not run)", pass: null };
    return {
      target,
      figure: rs.map((r) => `${r.name} ${fmt(r.perJob.calls, 3)}`).join(", "),
      pass: rs.every((r) => r.perJob.calls <= 1.2),
    };
  },
  (by) => {
    const target = "p=10: <= 2.3 calls per action job";
    const rs = need(by, target, ["act-500-p10"]);
    if (!rs) return { target, figure: "(not run)", pass: null };
    const r = rs[0];
    return {
      target,
      figure: `${fmt(r.perJob.calls, 3)} (${fmt(r.perJob.transactions, 3)} tx + ${fmt(r.perJob.actionRuns, 3)} action runs)`,
      pass: r.perJob.calls <= 2.3,
    };
  },
  (by) => {
    const target = "p=10: <= 5 docs written per job (job's own included)";
    const rs = need(by, target, ["mut-1k-p10", "act-500-p10", "mut-20k-p10"]);
    if (!rs) return { target, figure: "(not run)", pass: null };
    return {
      target,
      figure: rs.map((r) => `${r.name} ${fmt(r.perJob.documentsWritten)}`).join(", "),
      pass: rs.every((r) => r.perJob.documentsWritten <= 5),
    };
  },
  (by) => {
    const target = `per-job cost flat 1k -> 20k jobs (within ${FLAT_TOLERANCE * 100}%)`;
    const rs = need(by, target, ["mut-1k-p10", "mut-20k-p10"]);
    if (!rs) return { target, figure: "(not run)", pass: null };
    const keys = ["calls", "documentsRead", "documentsWritten", "functionsScheduled"] as const;
    const changes = keys.map((k) => ({ k, change: rs[1].perJob[k] / rs[0].perJob[k] - 1 }));
    return {
      target,
      figure: changes.map(({ k, change }) => `${k} ${change >= 0 ? "+" : ""}${pct(change)}`).join(", "),
      pass: changes.every(({ change }) => Math.abs(change) <= FLAT_TOLERANCE),
    };
  },
  (_by, all) => {
    const target = `no transaction near a limit (max share of any limit <= ${NEAR_LIMIT * 100}%)`;
    if (all.length === 0) return { target, figure: "(not run)", pass: null };
    let worst = { share: 0, what: "" };
    for (const r of all) {
      for (const [limit, p] of Object.entries(r.peaks)) {
        if (p.shareOfLimit > worst.share) {
          worst = { share: p.shareOfLimit, what: `${r.name}: ${p.fn} ${limit} ${p.value}` };
        }
      }
    }
    return { target, figure: `${pct(worst.share)} (${worst.what})`, pass: worst.share <= NEAR_LIMIT };
  },
];

function printTable(rows: string[][]) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [i, row] of rows.entries()) {
    console.log(row.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

function printWorkloads(results: WorkloadResult[]) {
  printTable([
    ["workload", "jobs", "p", "makespan", "vs ideal", "ms/job", "calls/job", "(tx+act)", "nested/job", "reads/job", "writes/job", "sched/job", "max rd/tx", "max wr/tx", "conflicts/job", "wall s"],
    ...results.map((r) => [
      r.name,
      String(r.jobs),
      String(r.maxParallelism),
      `${r.makespanMs} ms`,
      r.ratioToIdeal === null ? "-" : `+${pct(r.ratioToIdeal - 1)}`,
      fmt(r.msPerJob, 3),
      fmt(r.perJob.calls, 3),
      `${fmt(r.perJob.transactions)}+${fmt(r.perJob.actionRuns)}`,
      fmt(r.perJob.nestedCalls),
      fmt(r.perJob.documentsRead),
      fmt(r.perJob.documentsWritten),
      fmt(r.perJob.functionsScheduled),
      String(r.peaks.documentsRead.value),
      String(r.peaks.documentsWritten.value),
      fmt(r.conflicts.perJob, 3),
      fmt(r.wallMs / 1000, 1),
    ]),
  ]);
}

/** Modelled OCC conflicts per job by (victim, writer, table, index); see docs/benchmark.md. */
function printConflicts(results: WorkloadResult[]) {
  printTable([
    ["workload", "victim", "user code", "writer", "table", "index", "conflicts/job"],
    ...results.flatMap((r) =>
      r.conflicts.byPair.map((p) => [r.name, p.victim, p.runsUserCode ? "yes" : "no", p.writer, p.table, p.index, fmt(p.perJob, 3)]),
    ),
  ]);
}

function printTargets(targets: TargetResult[]) {
  printTable([
    ["target", "figure", "result"],
    ...targets.map((t) => [t.target, t.figure, t.pass === null ? "-" : t.pass ? "PASS" : "MISS"]),
  ]);
}

/**
 * EXTRA_BENCHMARKS — hook for other capabilities' benchmarks. A module here exports a function
 * returning `{ results?: unknown; targets?: TargetResult[] }` (or anything JSON-serializable);
 * its targets join the table and everything it returns goes into results.json under its key.
 * Modules that do not exist yet are skipped, so a benchmark can land independently.
 */
const EXTRA_BENCHMARKS = [{ key: "migrations", file: "migrations.ts", exportName: "benchMigrations" }];

async function runExtras(): Promise<{ json: Record<string, unknown>; targets: TargetResult[] }> {
  const json: Record<string, unknown> = {};
  const targets: TargetResult[] = [];
  for (const extra of EXTRA_BENCHMARKS) {
    const file = path.join(here, extra.file);
    if (!existsSync(file)) {
      console.log(`(${extra.key}: bench/${extra.file} not present, skipped)`);
      continue;
    }
    const mod = (await import(pathToFileURL(file).href)) as Record<string, () => Promise<unknown>>;
    console.log(`\n== ${extra.key} ==`);
    const out = await mod[extra.exportName]();
    json[extra.key] = out;
    const t = (out as { targets?: TargetResult[] } | undefined)?.targets;
    if (Array.isArray(t)) targets.push(...t);
    for (const [k, value] of Object.entries((out ?? {}) as Record<string, unknown>)) {
      if (k !== "targets") console.log(`  ${k}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`);
    }
  }
  return { json, targets };
}

async function main() {
  const only = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const unknown = only.filter((n) => !WORKLOADS.some((w) => w.name === n));
  if (unknown.length) {
    throw new Error(`Unknown workload(s): ${unknown.join(", ")}. Known: ${WORKLOADS.map((w) => w.name).join(", ")}.`);
  }
  const selected = only.length ? WORKLOADS.filter((w) => only.includes(w.name)) : WORKLOADS;
  const started = performance.now();
  const results: WorkloadResult[] = [];
  for (const w of selected) {
    process.stdout.write(`running ${w.name} (${w.jobs} ${w.kind} jobs, maxParallelism ${w.maxParallelism}) ... `);
    const r = await runWorkload(w);
    console.log(`${(r.wallMs / 1000).toFixed(1)} s`);
    const expected = w.jobs;
    if (r.finalStats.succeeded !== expected) {
      throw new Error(`${w.name}: ${r.finalStats.succeeded} of ${expected} jobs succeeded: ${JSON.stringify(r.finalStats)}`);
    }
    results.push(r);
  }
  const extras = only.length ? { json: {}, targets: [] } : await runExtras();
  const byName = new Map(results.map((r) => [r.name, r]));
  const targets = [...TARGETS.map((check) => check(byName, results)), ...extras.targets];

  console.log("\nWork pools, per job (calls = transactions + action runs, as Convex bills them)\n");
  printWorkloads(results);
  console.log("\nModelled OCC conflicts per job, by victim and writer\n");
  printConflicts(results);
  console.log("\nTargets\n");
  printTargets(targets);
  const wallS = (performance.now() - started) / 1000;
  console.log(`\n${wallS.toFixed(0)} s on ${os.cpus().length} cores, Node ${process.versions.node}`);

  if (!only.length) {
    const out = {
      generatedBy: "npm run bench",
      engine: "convex-test (in-memory), simulated clock",
      node: process.versions.node,
      wallSeconds: Math.round(wallS),
      workloads: results,
      targets,
      ...extras.json,
    };
    writeFileSync(path.join(here, "results.json"), JSON.stringify(out, null, 2) + "\n");
    console.log("wrote bench/results.json");
  }
}

await main();
