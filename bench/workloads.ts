/**
 * Runs one work-pool workload on convex-test under the simulated clock and measures it: calls as
 * Convex bills them, documents read and written, functions scheduled, the largest transaction,
 * and simulated makespan. See docs/benchmark.md for what each figure means.
 */
import { api } from "./convex/_generated/api.js";
import { createApp } from "../scripts/lib/app.js";
import { installSimClock, runUntil } from "../scripts/lib/clock.js";
import { conflictReport, installConflictModel, resetConflicts, type ConflictReport } from "../scripts/lib/conflicts.js";
import { LIMITS, getTally, observe, resetTally, summarize, type LimitKey, type Peak } from "../scripts/lib/metrics.js";

/** Jobs per enqueue call (one app mutation enqueues this many with enqueue*Batch). */
export const ENQUEUE_BATCH = 500;
/**
 * After the last job finishes we keep running whatever is due within this window (the
 * dispatcher's idle follow-ups, an action watchdog) and count it: the pool's wind-down is part
 * of the workload's cost. Timers further out (retention cleanup, a day later) are not.
 */
export const TAIL_MS = 60_000;

export interface Workload {
  name: string;
  kind: "mutation" | "action";
  jobs: number;
  pool: "serial" | "p10" | "p50" | "retry10";
  maxParallelism: number;
  /** Action jobs: how long each sleeps (simulated ms). */
  durationMs?: number;
  /** Action jobs: each fails this many attempts before succeeding (the pool retries them). */
  failFirst?: number;
  /** Retry workloads: the pool's backoff before attempts 2, 3, ... (for the ideal). */
  backoffMs?: number[];
  transactionLimits: boolean;
  /**
   * Streamed workloads: instead of enqueueing everything up front, an app mutation enqueues
   * `perTick` jobs every `everyMs` (scheduling itself) while the pool works.
   */
  stream?: { perTick: number; everyMs: number };
}

type PerJob = {
  calls: number;
  transactions: number;
  actionRuns: number;
  nestedCalls: number;
  documentsRead: number;
  documentsWritten: number;
  functionsScheduled: number;
};

export interface WorkloadResult {
  name: string;
  kind: Workload["kind"];
  jobs: number;
  maxParallelism: number;
  durationMs: number | null;
  transactionLimits: boolean;
  /** Simulated ms from the first enqueue to the last job finished. */
  makespanMs: number;
  /**
   * Action workloads: ceil(attempts x jobs / maxParallelism) x duration, where attempts =
   * failFirst + 1; or, if longer, one job's own chain of attempts and backoffs (a job waiting out
   * a backoff holds no slot, so backoff only adds to the ideal when it cannot be overlapped).
   */
  idealMs: number | null;
  /** makespan / ideal (action workloads). */
  ratioToIdeal: number | null;
  /** makespan / jobs. */
  msPerJob: number;
  perJob: PerJob;
  totals: ReturnType<typeof summarize>;
  /** The most one transaction used, per limit, as a share of the limit, and who. */
  peaks: Record<LimitKey, Peak & { shareOfLimit: number }>;
  /** Calls (transactions + action runs) and documents by function. */
  byFunction: Record<
    string,
    { calls: number; documentsRead?: number; documentsWritten?: number; maxDocumentsRead?: number; maxDocumentsWritten?: number }
  >;
  /** Nested ctx.runMutation/runQuery calls by callee (not billed as calls). */
  nestedByFunction: Record<string, number>;
  /** convex-test's own transactions around scheduled runs (excluded from calls). */
  bookkeepingTransactions: number;
  /** Outcome check: counts from the pool's stats at the end. */
  finalStats: { succeeded: number; failed: number; canceled: number; pending: number; running: number };
  /** Modelled OCC conflicts (scripts/lib/conflicts.ts; docs/benchmark.md, "Conflict model"). */
  conflicts: ConflictReport;
  /** Real time the workload took to simulate. */
  wallMs: number;
}

/** Runs a workload in a fresh convex-test instance and returns its figures. */
export async function runWorkload(w: Workload): Promise<WorkloadResult> {
  const wallStart = performance.now();
  const clock = await installSimClock();
  installConflictModel();
  try {
    const t = await createApp({ appDir: "bench/convex", transactionLimits: w.transactionLimits });
    resetTally();
    resetConflicts();
    const start = clock.now();
    if (w.stream) {
      const { perTick, everyMs } = w.stream;
      await t.mutation(api.work.startStream, { pool: w.pool, kind: w.kind, from: 0, total: w.jobs, perTick, everyMs, ms: w.durationMs ?? 0 });
    }
    for (let from = 0; from < w.jobs && !w.stream; from += ENQUEUE_BATCH) {
      const count = Math.min(ENQUEUE_BATCH, w.jobs - from);
      if (w.kind === "mutation") await t.mutation(api.work.enqueueWrites, { pool: w.pool, from, count });
      else if (w.failFirst) {
        await t.mutation(api.work.enqueueFlaky, { pool: w.pool, from, count, ms: w.durationMs!, failFirst: w.failFirst });
      } else await t.mutation(api.work.enqueueSleeps, { pool: w.pool, count, ms: w.durationMs! });
    }
    const stats = () => observe(() => t.query(api.work.stats, { pool: w.pool }));
    const makespanMs = await runUntil(clock, {
      done: async () => {
        const s = await stats();
        return s.succeeded + s.failed + s.canceled >= w.jobs;
      },
    });
    await clock.drainUntil(clock.now() + TAIL_MS);
    const finalStats = await stats();
    return measure(w, makespanMs, finalStats, performance.now() - wallStart);
  } finally {
    clock.uninstall();
  }
}

function idealActionMs(w: Workload): number {
  const attempts = (w.failFirst ?? 0) + 1;
  const throughput = Math.ceil((attempts * w.jobs) / w.maxParallelism) * w.durationMs!;
  const chain = attempts * w.durationMs! + (w.backoffMs ?? []).slice(0, attempts - 1).reduce((a, b) => a + b, 0);
  // Streamed: the last job cannot start before it is enqueued.
  const arrival = w.stream ? (Math.ceil(w.jobs / w.stream.perTick) - 1) * w.stream.everyMs + w.durationMs! : 0;
  return Math.max(throughput, chain, arrival);
}

function measure(w: Workload, makespanMs: number, finalStats: WorkloadResult["finalStats"], wallMs: number): WorkloadResult {
  const tally = getTally();
  const totals = summarize(tally);
  const per = (x: number) => x / w.jobs;
  const idealMs = w.kind === "action" ? idealActionMs(w) : null;
  const peaks = {} as WorkloadResult["peaks"];
  for (const k of Object.keys(LIMITS) as LimitKey[]) {
    peaks[k] = { ...tally.peaks[k], shareOfLimit: tally.peaks[k].value / LIMITS[k] };
  }
  const byFunction: WorkloadResult["byFunction"] = {};
  for (const [fn, u] of Object.entries(tally.transactions)) {
    const { calls, documentsRead, documentsWritten, maxDocumentsRead, maxDocumentsWritten } = u;
    byFunction[fn] = { calls, documentsRead, documentsWritten, maxDocumentsRead, maxDocumentsWritten };
  }
  for (const [fn, runs] of Object.entries(tally.actionRuns)) byFunction[fn] = { calls: runs };
  return {
    name: w.name,
    kind: w.kind,
    jobs: w.jobs,
    maxParallelism: w.maxParallelism,
    durationMs: w.durationMs ?? null,
    transactionLimits: w.transactionLimits,
    makespanMs,
    idealMs,
    ratioToIdeal: idealMs ? makespanMs / idealMs : null,
    msPerJob: makespanMs / w.jobs,
    perJob: {
      calls: per(totals.calls),
      transactions: per(totals.transactions),
      actionRuns: per(totals.actionRuns),
      nestedCalls: per(totals.nestedCalls),
      documentsRead: per(totals.documentsRead),
      documentsWritten: per(totals.documentsWritten),
      functionsScheduled: per(totals.functionsScheduled),
    },
    totals,
    peaks,
    byFunction,
    nestedByFunction: { ...tally.nested },
    bookkeepingTransactions: tally.bookkeeping,
    finalStats: {
      succeeded: finalStats.succeeded,
      failed: finalStats.failed,
      canceled: finalStats.canceled,
      pending: finalStats.pending,
      running: finalStats.running,
    },
    conflicts: conflictReport(w.jobs),
    wallMs,
  };
}
