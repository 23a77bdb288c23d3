/**
 * `npm run bench`: the work-pool benchmark, convex-jobs side by side with the official
 * @convex-dev/workpool and @convex-dev/action-retrier on the same workloads (bench/workloads.ts).
 * Deterministic: convex-test under a simulated clock driven as a discrete-event loop
 * (scripts/lib/clock.ts). Prints per-job figures and the targets (PASS/MISS); a full run writes
 * bench/results.json and regenerates docs/benchmark.md and the README's cost table from it
 * (bench/report.ts).
 *
 *   npm run bench                                # everything; writes results.json and the docs
 *   npm run bench -- mut-1k-p10 act-500-p10      # only these workloads (results.json is left alone)
 *   npm run bench -- --impl convex-jobs          # only one implementation (same)
 *   npm run bench -- --parallel 1                # child processes at once (default: CPU cores)
 *   npm run bench -- --merge keys-fair rate-10ps # run these, then merge them into results.json
 *                                                # (other entries kept as they are) and regenerate the docs
 *
 * Each (workload, implementation) runs in a child process of its own (bench/one.ts): timers left
 * over from one convex-test run would move the next one's clock, and separate processes let
 * workloads run in parallel. Adding a workload: append to WORKLOADS in bench/workloads.ts.
 * Adding another benchmark: see EXTRA_BENCHMARKS below.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { conflictPairRows, conflictRows, plainTable, targetRows, workloadRows } from "./format.js";
import type { WorkloadResult } from "./measure.js";
import { writeReport } from "./report.js";
import { hasCapability, missingNote } from "./capabilities.js";
import { mergeIntoResults } from "./merge.js";
import { checkTargets, type TargetResult } from "./targets.js";
import { IMPLEMENTATIONS, OFFICIAL_PACKAGES, WORKLOADS, workloadNamed, type Implementation, type Workload } from "./workloads.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");

interface Options {
  workloads: Workload[];
  implementations: Implementation[];
  parallel: number;
  /** True when everything runs: only then are results.json and the docs written. */
  full: boolean;
  /** --merge: a subset's results replace their entries in results.json (see mergeIntoResults). */
  merge: boolean;
}

function parseArgs(argv: string[]): Options {
  const names: string[] = [];
  let implementations: Implementation[] = [...IMPLEMENTATIONS];
  let parallel = os.cpus().length;
  let merge = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--merge") merge = true;
    else if (a === "--impl") {
      const impl = argv[++i] as Implementation;
      if (!IMPLEMENTATIONS.includes(impl)) throw new Error(`--impl must be one of ${IMPLEMENTATIONS.join(", ")}, got "${impl}".`);
      implementations = [impl];
    } else if (a === "--parallel") {
      parallel = Number(argv[++i]);
      if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`--parallel must be an integer >= 1, got "${argv[i]}".`);
    } else if (a.startsWith("-")) {
      throw new Error(`Unknown option "${a}". Options: --impl <${IMPLEMENTATIONS.join("|")}>, --parallel <n>, --merge.`);
    } else names.push(a);
  }
  const workloads = names.length ? names.map(workloadNamed) : WORKLOADS;
  const full = names.length === 0 && implementations.length === IMPLEMENTATIONS.length;
  if (merge && full) throw new Error("--merge is for a subset of workloads (a full run writes results.json anyway).");
  return { workloads, implementations, parallel, full, merge };
}

/** Runs bench/one.ts for one (workload, implementation) in a child process; resolves to its result. */
function runChild(w: Workload, impl: Implementation, dir: string): Promise<WorkloadResult> {
  const out = path.join(dir, `${w.name}.${impl}.json`);
  const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "one.ts"), w.name, impl, out], {
    cwd: root,
    stdio: ["ignore", "inherit", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0 && existsSync(out)) resolve(JSON.parse(readFileSync(out, "utf8")) as WorkloadResult);
      else reject(new Error(`${w.name} on ${impl}: child exited with ${code}\n${stderr.slice(-20_000)}`));
    });
  });
}

/** Runs every (workload, implementation) pair, `parallel` children at a time, in a stable order. */
async function runAll(opts: Options): Promise<WorkloadResult[]> {
  for (const w of opts.workloads) {
    if (w.needs && !hasCapability(w.needs)) console.log(`(${w.name}: skipped, ${missingNote(w.needs)})`);
  }
  const runnable = opts.workloads.filter((w) => !w.needs || hasCapability(w.needs));
  const pairs = runnable.flatMap((w) =>
    opts.implementations.filter((impl) => w.implementations.includes(impl)).map((impl) => ({ w, impl })),
  );
  // Longest first (by attempts to simulate), so the 20,000-job run does not start last.
  const work = (i: number) => pairs[i].w.jobs * ((pairs[i].w.failFirst ?? 0) + 1);
  const order = pairs.map((_, i) => i).sort((a, b) => work(b) - work(a));
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-"));
  const results: WorkloadResult[] = new Array(pairs.length);
  let next = 0;
  const worker = async () => {
    while (next < order.length) {
      const i = order[next++];
      const { w, impl } = pairs[i];
      const r = await runChild(w, impl, dir);
      check(w, r);
      console.log(`  ${w.name} on ${impl}: ${(r.wallMs / 1000).toFixed(1)} s`);
      results[i] = r;
    }
  };
  try {
    console.log(`running ${pairs.length} workload runs, ${opts.parallel} at a time`);
    await Promise.all(Array.from({ length: Math.min(opts.parallel, pairs.length) }, worker));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/**
 * Every job must have finished and succeeded, with every attempt's row written (duplicate
 * enqueues: every enqueue's job finished, and exactly one job ran).
 */
function check(w: Workload, r: WorkloadResult) {
  const attempts = (w.failFirst ?? 0) + 1;
  const o = r.outcome;
  const runs = w.flow?.dedupeKey !== undefined ? 1 : w.jobs;
  if (o.finished !== w.jobs || o.succeeded !== runs || o.rows !== runs * attempts) {
    throw new Error(`${w.name} on ${r.implementation}: expected ${w.jobs} jobs to succeed, got ${JSON.stringify(o)}`);
  }
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

/** The installed version of each package the comparison runs. */
function versions(): Record<string, string> {
  const version = (dir: string) => (JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version;
  const out: Record<string, string> = { "convex-jobs": version(root) };
  for (const p of [...OFFICIAL_PACKAGES, "convex", "convex-test"]) out[p] = version(path.join(root, "node_modules", p));
  return out;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const results = await runAll(opts);
  const extras = opts.full ? await runExtras() : { json: {}, targets: [] };
  const targets = [...checkTargets(results), ...extras.targets];

  console.log("\nWork pools, per job (calls = transactions + action runs, as Convex bills them)\n");
  console.log(plainTable(workloadRows(results, { wall: true })));
  console.log("\nModeled OCC conflicts per job (docs/benchmark.md, \"Conflict model\")\n");
  console.log(plainTable(conflictRows(results)));
  console.log("\nBy victim and writer\n");
  console.log(plainTable(conflictPairRows(results)));
  console.log("\nTargets (convex-jobs)\n");
  console.log(plainTable(targetRows(targets)));
  const wallS = (performance.now() - started) / 1000;
  console.log(`\n${wallS.toFixed(0)} s on ${os.cpus().length} cores (${opts.parallel} at a time), Node ${process.versions.node}`);

  if (opts.full) {
    const out = {
      generatedBy: "npm run bench",
      engine: "convex-test (in-memory), simulated clock",
      node: process.versions.node,
      cores: os.cpus().length,
      parallel: opts.parallel,
      wallSeconds: Math.round(wallS),
      versions: versions(),
      workloads: results,
      targets,
      ...extras.json,
    };
    writeFileSync(path.join(here, "results.json"), JSON.stringify(out, null, 2) + "\n");
    console.log("wrote bench/results.json");
    writeReport();
  } else if (opts.merge) {
    mergeIntoResults(results.filter(Boolean));
    writeReport();
  }
}

await main();
