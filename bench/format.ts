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
      r.conflicts ? fmt(r.conflicts.perJob) : "-",
      String(r.peaks.documentsRead.value),
      String(r.peaks.documentsWritten.value),
    ];
    if (wall) row.push(fmt(r.wallMs / 1000, 1));
    return row;
  });
  return [header, ...rows];
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
