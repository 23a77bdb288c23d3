/**
 * The flow-control targets (issue 8, "Tests, demo, benchmark"), over the flow workloads' figures
 * (bench/flowMeasure.ts). Joined to bench/targets.ts's list; docs/benchmark.md defines the terms.
 */
import type { WorkloadResult } from "./measure.js";
import type { TargetResult } from "./targets.js";
import { missingNote, hasCapability } from "./capabilities.js";
import { WORKLOADS } from "./workloads.js";

/** What a flow feature may add per job to the plain workload that runs the same jobs (the budget). */
export const FEATURE_BUDGET = { calls: 0.1, writes: 1 };

type Ours = Map<string, WorkloadResult>;
const fmt = (x: number, digits = 2) => x.toFixed(digits);
const signed = (x: number, digits = 3) => `${x >= 0 ? "+" : ""}${x.toFixed(digits)}`;

function notRun(target: string, name: string): TargetResult {
  const w = WORKLOADS.find((x) => x.name === name);
  const why = w?.needs && !hasCapability(w.needs) ? `(not run: ${missingNote(w.needs)})` : "(not run)";
  return { target, figure: why, pass: null };
}

function keysFair(ours: Ours): TargetResult[] {
  const fairTarget = "keys-fair: every tenant's first job starts within one round, none overtaken beyond the per-key cap";
  const capTarget = "keys-fair: the big tenant never has more than 2 running (pool cap 50)";
  const r = ours.get("keys-fair");
  const k = r?.flow?.keys;
  if (!r || !k) return [notRun(fairTarget, "keys-fair"), notRun(capTarget, "keys-fair")];
  return [
    {
      target: fairTarget,
      figure: `last first start at ${k.lastFirstStartMs} ms, round ${k.roundMs} ms; ${k.startsBeforeLastFirst} starts before it, ${k.bigStartsBeforeLastFirst} of the big tenant`,
      pass: k.roundMs !== null && k.lastFirstStartMs < k.roundMs && !k.overtakenBeyondCap,
    },
    {
      target: capTarget,
      figure: `big tenant max ${k.peakBigKey} running, any key max ${k.peakPerKey}, pool max ${r.flow!.peakRunning}`,
      pass: k.peakBigKey <= k.keyCap && k.peakPerKey <= k.keyCap && r.flow!.peakRunning <= k.poolCap,
    },
  ];
}

function rate(ours: Ours): TargetResult[] {
  const bucketTarget = "rate-10ps: no start without a token (starts replayed against the bucket)";
  const spanTarget = "rate-10ps: makespan within 1% of the ideal ((jobs - 10) / 10 per s)";
  const r = ours.get("rate-10ps");
  const f = r?.flow?.rate;
  if (!r || !f) return [notRun(bucketTarget, "rate-10ps"), notRun(spanTarget, "rate-10ps")];
  return [
    {
      target: bucketTarget,
      figure: `lowest bucket level ${fmt(f.minTokens, 3)} tokens; at most ${f.maxStartsPerPeriod} starts in any ${f.periodMs} ms`,
      pass: f.minTokens >= -1e-9,
    },
    {
      target: spanTarget,
      figure: `${fmt(r.makespanMs / 1000, 2)} s vs ${fmt(r.idealMs! / 1000, 2)} s`,
      pass: r.ratioToIdeal !== null && r.ratioToIdeal <= 1.01,
    },
  ];
}

function dedupe(ours: Ours): TargetResult {
  const target = "dedupe-1k: 1,000 duplicate enqueues run one job";
  const d = ours.get("dedupe-1k")?.flow?.dedupe;
  if (!d) return notRun(target, "dedupe-1k");
  return { target, figure: `${d.enqueues} enqueues, ${d.jobsRun} job(s) ran`, pass: d.jobsRun === 1 };
}

/** One target per feature-cost workload: its per-job calls and writes against its plain baseline. */
function featureCosts(ours: Ours): TargetResult[] {
  return WORKLOADS.filter((w) => w.flow?.baseline).map((w) => {
    const target = `${w.name}: at most +${FEATURE_BUDGET.calls} calls and +${FEATURE_BUDGET.writes} write per job vs ${w.flow!.baseline}`;
    const r = ours.get(w.name);
    const base = ours.get(w.flow!.baseline!);
    if (!r || !base) return notRun(target, w.name);
    const calls = r.perJob.calls - base.perJob.calls;
    const writes = r.perJob.documentsWritten - base.perJob.documentsWritten;
    const reads = r.perJob.documentsRead - base.perJob.documentsRead;
    return {
      target,
      figure: `calls ${signed(calls)}, writes ${signed(writes)} (reads ${signed(reads, 2)})`,
      pass: calls <= FEATURE_BUDGET.calls && writes <= FEATURE_BUDGET.writes,
    };
  });
}

function conflicts(ours: Ours): TargetResult {
  const target = "flow workloads: zero modeled conflicts in transactions that run user code";
  const rs = WORKLOADS.filter((w) => w.flow).map((w) => ours.get(w.name)).filter((r): r is WorkloadResult => !!r);
  if (!rs.length) return { target, figure: "(not run)", pass: null };
  const hit = rs.filter((r) => r.conflicts.userCodePerJob > 0);
  const figure = hit.length ? hit.map((r) => `${r.name} ${fmt(r.conflicts.userCodePerJob, 3)}`).join(", ") : `0 on all ${rs.length} flow workloads`;
  return { target, figure, pass: hit.length === 0 };
}

/** The flow-control targets over our results (by workload name). */
export function flowTargets(ours: Ours): TargetResult[] {
  return [...keysFair(ours), ...rate(ours), dedupe(ours), ...featureCosts(ours), conflicts(ours)];
}
