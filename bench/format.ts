/**
 * The benchmark's tables as rows of strings, shared by the console output (bench/run.ts) and the
 * generated docs (bench/report.ts), so both show the same figures the same way.
 */
import type { WorkloadResult } from "./measure.js";
import type { TargetResult } from "./targets.js";

export const fmt = (x: number, digits = 2) => x.toFixed(digits);
export const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(2)}%`;
const seconds = (ms: number) => (ms >= 10_000 ? `${fmt(ms / 1000, 1)} s` : ms >= 1000 ? `${fmt(ms / 1000, 2)} s` : `${ms} ms`);

/** The per-workload table: a header row, then one row per result. */
export function workloadRows(results: WorkloadResult[], { wall = false } = {}): string[][] {
  const header = [
    "workload", "impl", "jobs", "p", "makespan", "ideal", "vs ideal", "calls/job", "(tx+act)", "nested/job",
    "reads/job", "writes/job", "sched/job", "action-s/job", "conflicts/job", "max rd/tx", "max wr/tx",
  ];
  if (wall) header.push("wall s");
  const rows = results.map((r) => {
    const row = [
      r.name,
      r.implementation,
      String(r.jobs),
      r.maxParallelism === null ? "-" : String(r.maxParallelism),
      seconds(r.makespanMs),
      r.idealMs === null ? "-" : seconds(r.idealMs),
      r.ratioToIdeal === null ? "-" : pct(r.ratioToIdeal - 1),
      fmt(r.perJob.calls, 3),
      `${fmt(r.perJob.transactions)}+${fmt(r.perJob.actionRuns)}`,
      fmt(r.perJob.nestedCalls),
      fmt(r.perJob.documentsRead),
      fmt(r.perJob.documentsWritten),
      fmt(r.perJob.functionsScheduled),
      r.kind === "mutation" ? "-" : `${fmt(r.perJob.actionSeconds)} (own ${fmt(r.ownActionSecondsPerJob, 1)})`,
      fmt(r.conflicts.perJob, 3),
      String(r.peaks.documentsRead.value),
      String(r.peaks.documentsWritten.value),
    ];
    if (wall) row.push(fmt(r.wallMs / 1000, 1));
    return row;
  });
  return [header, ...rows];
}

/**
 * Modeled OCC conflicts per job, one row per result: in all, in transactions that run user code,
 * and in those that run none (the dispatcher, the official main loop).
 */
export function conflictRows(results: WorkloadResult[]): string[][] {
  return [
    ["workload", "impl", "writing tx/job", "conflicts/job", "in user code", "no user code"],
    ...results.map((r) => [
      r.name,
      r.implementation,
      fmt(r.conflicts.transactions / r.jobs),
      fmt(r.conflicts.perJob, 3),
      fmt(r.conflicts.userCodePerJob, 3),
      fmt(r.conflicts.noUserCodePerJob, 3),
    ]),
  ];
}

/** Modeled conflicts per job by (victim, writer, table, index), for every result that has any. */
export function conflictPairRows(results: WorkloadResult[]): string[][] {
  return [
    ["workload", "impl", "victim", "user code", "writer", "table", "index", "conflicts/job"],
    ...results.flatMap((r) =>
      r.conflicts.byPair.map((p) => [r.name, r.implementation, p.victim, p.runsUserCode ? "yes" : "no", p.writer, p.table, p.index, fmt(p.perJob, 3)]),
    ),
  ];
}

/** The targets table: header, then one row per target. */
export function targetRows(targets: TargetResult[]): string[][] {
  return [
    ["target", "figure", "result"],
    ...targets.map((t) => [t.target, t.figure, t.pass === null ? "-" : t.pass ? "PASS" : "MISS"]),
  ];
}

/** Rows as an aligned plain-text table (the console). */
export function plainTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (row: string[]) => row.map((c, j) => (j <= 1 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ").trimEnd();
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}

/** Rows as a Markdown table. */
export function markdownTable(rows: string[][]): string {
  const line = (row: string[]) => `| ${row.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
  return [line(rows[0]), `|${rows[0].map(() => "---").join("|")}|`, ...rows.slice(1).map(line)].join("\n");
}
