/**
 * The benchmark's targets: each a check over the results, reported PASS/MISS as measured (met or
 * not). Figures are convex-jobs' unless a target compares with the official components.
 */
import { flowTargets } from "./flowTargets.js";
import type { WorkloadResult } from "./measure.js";

/** One line of the targets table. `pass: null` when the workloads it needs did not run. */
export interface TargetResult {
  target: string;
  figure: string;
  pass: boolean | null;
}

/** Modeled conflicts per job allowed in transactions that run no user code (the dispatcher). */
const DISPATCHER_CONFLICTS = 0.02;
/** A transaction using more than this share of any Convex limit counts as "near" it. */
const NEAR_LIMIT = 0.25;
/** Per-job figures may differ by this much between 1,000 and 20,000 jobs and still be "flat". */
const FLAT_TOLERANCE = 0.1;

const fmt = (x: number, digits = 2) => x.toFixed(digits);
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

type Results = { ours: Map<string, WorkloadResult>; official: Map<string, WorkloadResult> };
type Check = (r: Results) => TargetResult;

const notRun = (target: string): TargetResult => ({ target, figure: "(not run)", pass: null });

function need(by: Map<string, WorkloadResult>, names: string[]): WorkloadResult[] | null {
  const found = names.map((n) => by.get(n));
  return found.every(Boolean) ? (found as WorkloadResult[]) : null;
}

/** A target on one per-job figure of several of our workloads: each at most its limit. */
function atMost(target: string, limits: Record<string, number>, figure: (r: WorkloadResult) => number, digits = 3): Check {
  return ({ ours }) => {
    const rs = need(ours, Object.keys(limits));
    if (!rs) return notRun(target);
    return {
      target,
      figure: rs.map((r) => `${r.name} ${fmt(figure(r), digits)}`).join(", "),
      pass: rs.every((r) => figure(r) <= limits[r.name]),
    };
  };
}

const CHECKS: Check[] = [
  ({ ours }) => {
    const target = "makespan within 1% of ideal (burst actions)";
    const rs = need(ours, ["act-500-p10", "act-2k-p50"]);
    if (!rs) return notRun(target);
    return {
      target,
      figure: rs.map((r) => `${r.name} +${pct(r.ratioToIdeal! - 1)}`).join(", "),
      pass: rs.every((r) => r.ratioToIdeal! <= 1.01),
    };
  },
  ({ ours }) => {
    const target = "serial mutation jobs: about 1 simulated ms each (<= 1.1)";
    const rs = need(ours, ["mut-1k-p1"]);
    if (!rs) return notRun(target);
    return { target, figure: `${fmt(rs[0].msPerJob)} ms/job`, pass: rs[0].msPerJob <= 1.1 };
  },
  atMost("p=10: <= 1.12 calls per mutation job", { "mut-1k-p10": 1.12, "mut-20k-p10": 1.12 }, (r) => r.perJob.calls),
  atMost("action jobs: <= 3.15 calls/job at p=10, <= 3.1 at p=50", { "act-500-p10": 3.15, "act-2k-p50": 3.1 }, (r) => r.perJob.calls),
  ({ ours }) => {
    const target = "action compute <= 1.1 x the job's own action time";
    const rs = need(ours, ["act-500-p10", "act-2k-p50", "retry-300-p10"]);
    if (!rs) return notRun(target);
    const ratio = (r: WorkloadResult) => r.perJob.actionSeconds / r.ownActionSecondsPerJob;
    return {
      target,
      figure: rs.map((r) => `${r.name} ${fmt(ratio(r))}x`).join(", "),
      pass: rs.every((r) => ratio(r) <= 1.1),
    };
  },
  atMost("retried actions (3 attempts): <= 9.6 calls per job", { "retry-300-p10": 9.6 }, (r) => r.perJob.calls),
  ({ ours, official }) => {
    const target = "ActionRetrier: <= 10.5 calls and <= 9 writes per run, no slower than official";
    const mine = ours.get("retrier-300");
    if (!mine) return notRun(target);
    const theirs = official.get("retrier-300");
    const vs = theirs ? ` vs official ${theirs.makespanMs} ms` : "";
    return {
      target,
      figure: `${fmt(mine.perJob.calls)} calls, ${fmt(mine.perJob.documentsWritten)} writes, ${mine.makespanMs} ms${vs}`,
      pass: mine.perJob.calls <= 10.5 && mine.perJob.documentsWritten <= 9 && (!theirs || mine.makespanMs <= theirs.makespanMs),
    };
  },
  ({ ours }) => {
    const target = `per-job cost flat 1k -> 20k jobs (within ${FLAT_TOLERANCE * 100}%)`;
    const rs = need(ours, ["mut-1k-p10", "mut-20k-p10"]);
    if (!rs) return notRun(target);
    const keys = ["calls", "documentsRead", "documentsWritten", "functionsScheduled"] as const;
    const changes = keys.map((k) => ({ k, change: rs[1].perJob[k] / rs[0].perJob[k] - 1 }));
    return {
      target,
      figure: changes.map(({ k, change }) => `${k} ${change >= 0 ? "+" : ""}${pct(change)}`).join(", "),
      pass: changes.every(({ change }) => Math.abs(change) <= FLAT_TOLERANCE),
    };
  },
  ({ ours }) => {
    const target = "zero modeled conflicts in transactions that run user code, every workload";
    if (ours.size === 0) return notRun(target);
    const hit = [...ours.values()].filter((r) => r.conflicts.userCodePerJob > 0);
    const figure = hit.length ? hit.map((r) => `${r.name} ${fmt(r.conflicts.userCodePerJob, 3)}`).join(", ") : `0 on all ${ours.size} workloads`;
    return { target, figure, pass: hit.length === 0 };
  },
  ({ ours }) => {
    const target = `dispatcher (no user code): <= ${DISPATCHER_CONFLICTS} modeled conflicts per job, every workload`;
    if (ours.size === 0) return notRun(target);
    const rs = [...ours.values()];
    const worst = rs.reduce((a, b) => (b.conflicts.noUserCodePerJob > a.conflicts.noUserCodePerJob ? b : a));
    return {
      target,
      figure: `max ${fmt(worst.conflicts.noUserCodePerJob, 3)} (${worst.name})`,
      pass: rs.every((r) => r.conflicts.noUserCodePerJob <= DISPATCHER_CONFLICTS),
    };
  },
  ({ ours }) => {
    const target = `no transaction near a limit (max share of any limit <= ${NEAR_LIMIT * 100}%)`;
    if (ours.size === 0) return notRun(target);
    let worst = { share: 0, what: "" };
    for (const r of ours.values()) {
      for (const [limit, p] of Object.entries(r.peaks)) {
        if (p.shareOfLimit > worst.share) worst = { share: p.shareOfLimit, what: `${r.name}: ${p.fn} ${limit} ${p.value}` };
      }
    }
    return { target, figure: `${pct(worst.share)} (${worst.what})`, pass: worst.share <= NEAR_LIMIT };
  },
];

/** Evaluates every target over `results` (all implementations). */
export function checkTargets(results: WorkloadResult[]): TargetResult[] {
  const by = (impl: string) => new Map(results.filter((r) => r.implementation === impl).map((r) => [r.name, r]));
  const r: Results = { ours: by("convex-jobs"), official: by("official") };
  return [...CHECKS.map((check) => check(r)), ...flowTargets(r.ours)];
}
