/**
 * Runs one workload on one implementation, on convex-test under the simulated clock, and measures
 * it: calls as Convex bills them, nested calls, documents read and written, functions scheduled,
 * simulated action time, the largest transaction, makespan against the ideal, and modeled OCC
 * conflicts (scripts/lib/conflicts.ts). See
 * docs/benchmark.md for what each figure means. One workload per process (bench/one.ts).
 */
import { api, internal } from "./convex/_generated/api.js";
import { enqueuedIds, jobOutcomes } from "./jobState.js";
import { flowFigures, type FlowFigures } from "./flowMeasure.js";
import { attemptsPerJob, idealMs, type Implementation, type Workload } from "./workloads.js";
import { CONVEX_JOBS, createApp, type App, type ComponentMount } from "../scripts/lib/app.js";
import { installSimClock, runUntil, type Clock } from "../scripts/lib/clock.js";
import { conflictReport, installConflictModel, resetConflicts, runsUserCode, writesByTable, type ConflictReport } from "../scripts/lib/conflicts.js";
import { LIMITS, getTally, observe, resetTally, summarize, type LimitKey, type Peak } from "../scripts/lib/metrics.js";

/** Jobs per enqueue call in burst workloads (one app mutation enqueues this many). */
export const ENQUEUE_BATCH = 500;
/**
 * After the last job finishes we keep running whatever is due within this window (idle
 * follow-ups, watchdogs, heartbeats) and count it: the wind-down is part of the workload's cost.
 * Timers further out (retention cleanup, a day later) are not.
 */
export const TAIL_MS = 60_000;
/** Ids checked per poll of `finishedPrefix`. */
const POLL_CHUNK = 100;

const OFFICIAL_DIR = "node_modules/@convex-dev";
/** The official components as an app would mount them: each pool with its batch-worker child. */
const OFFICIAL: ComponentMount[] = [
  ...["serial", "p10", "p50", "retry10"].flatMap((pool) => [
    { path: pool, dir: `${OFFICIAL_DIR}/workpool/dist/component` },
    { path: `${pool}/batchWorker`, dir: `${OFFICIAL_DIR}/batch-worker/dist/component` },
  ]),
  { path: "retrier", dir: `${OFFICIAL_DIR}/action-retrier/dist/component` },
];

/**
 * The official components' transactions that run user code, by module:function (any mount):
 * workpool's worker that runs a mutation or query job; its `complete`, which runs onComplete
 * (inline when a batch action completes, or for a mutation job), and `recover`, which completes
 * jobs through the same handler; the retrier's `finishExecution`, which runs onComplete, and
 * `heartbeat` and `cancel`, which finish runs through the same handler. Everything else of
 * theirs (the main loop, its status updates, the batch worker) runs none.
 */
const OFFICIAL_USER_CODE = new Set([
  "worker:runMutationWrapper",
  "complete:complete",
  "recovery:recover",
  "run:finishExecution",
  "run:heartbeat",
  "public:cancel",
]);

/** Whether a transaction of the official side runs user code (the app's own mutations do). */
function officialRunsUserCode(fn: string): boolean {
  const [mount, ...rest] = fn.split(":");
  return mount === "app" || OFFICIAL_USER_CODE.has(rest.join(":"));
}

const APPS: Record<Implementation, { appDir: string; components: ComponentMount[]; runsUserCode: (fn: string) => boolean }> = {
  "convex-jobs": { appDir: "bench/convex", components: CONVEX_JOBS, runsUserCode },
  official: { appDir: "bench/official", components: OFFICIAL, runsUserCode: officialRunsUserCode },
};

export type PerJob = {
  calls: number;
  transactions: number;
  actionRuns: number;
  nestedCalls: number;
  documentsRead: number;
  documentsWritten: number;
  functionsScheduled: number;
  /** Simulated seconds of action execution, summed over every action run. */
  actionSeconds: number;
};

export interface WorkloadResult {
  name: string;
  implementation: Implementation;
  kind: Workload["kind"];
  jobs: number;
  maxParallelism: number | null;
  durationMs: number | null;
  attemptsPerJob: number;
  stream: Workload["stream"] | null;
  /** Simulated ms from the first enqueue to the last job finished (per its implementation's status). */
  makespanMs: number;
  /** See `idealMs` in ./workloads.ts. */
  idealMs: number | null;
  /** makespan / ideal (action workloads). */
  ratioToIdeal: number | null;
  /** makespan / jobs. */
  msPerJob: number;
  perJob: PerJob;
  /** The job's own action time per job (duration x attempts), for comparison with actionSeconds. */
  ownActionSecondsPerJob: number;
  totals: ReturnType<typeof summarize>;
  /** The most one transaction used, per limit, as a share of the limit, and who. */
  peaks: Record<LimitKey, Peak & { shareOfLimit: number }>;
  /** Calls (transactions + action runs) and documents by function. */
  byFunction: Record<
    string,
    {
      calls: number;
      documentsRead?: number;
      documentsWritten?: number;
      maxDocumentsRead?: number;
      maxDocumentsWritten?: number;
      actionSeconds?: number;
    }
  >;
  /** Nested ctx.runMutation/runQuery calls by callee (not billed as calls). */
  nestedByFunction: Record<string, number>;
  /** convex-test's own transactions around scheduled runs (excluded from calls). */
  bookkeepingTransactions: number;
  /** Outcome check: jobs finished per the implementation, jobs that succeeded, rows written. */
  outcome: { finished: number; succeeded: number; attempts: number; rows: number };
  /**
   * Modeled OCC conflicts (scripts/lib/conflicts.ts; docs/benchmark.md, "Conflict model"), user
   * code told apart by RUNS_USER_CODE (ours) or OFFICIAL_USER_CODE (theirs).
   */
  conflicts: ConflictReport;
  /** Documents written per job by "component:table" (absent from results measured before it existed). */
  writesByTablePerJob?: Record<string, number>;
  /** Flow workloads: fairness, caps, rate and dedupe figures (bench/flowMeasure.ts); else null. */
  flow: FlowFigures | null;
  /** Real time the workload took to simulate. */
  wallMs: number;
}

/** Enqueues jobs numbered [from, from + count) the way workload `w` does. Returns their ids. */
function enqueue(t: App, w: Workload, from: number, count: number): Promise<string[]> {
  const ms = w.durationMs ?? 0;
  const failFirst = w.failFirst ?? 0;
  if (w.kind === "retrier") return t.mutation(api.work.startRuns, { from, count, ms, failFirst });
  if (w.kind === "mutation") return t.mutation(api.work.enqueueWrites, { pool: w.pool!, from, count });
  return t.mutation(api.work.enqueueActions, { pool: w.pool!, from, count, ms, failFirst });
}

/**
 * Starts the producers. Burst: all jobs at once, in ENQUEUE_BATCH calls from the harness.
 * Streamed: one call of the app's `startStream` at time 0, which enqueues the first batch and
 * schedules the app's `produce` for the next, and so on (bench/benchApp.ts). Returns a function
 * giving every id in job order once all are enqueued (null before).
 */
async function produce(t: App, w: Workload): Promise<() => string[] | null> {
  if (w.flow) {
    const all = await enqueueFlow(t, w);
    return () => all;
  }
  if (w.stream) {
    const { batch, everyMs } = w.stream;
    const [ms, failFirst] = [w.durationMs ?? 0, w.failFirst ?? 0];
    const stream = { kind: w.kind, pool: w.pool ?? "serial", from: 0, total: w.jobs, batch, everyMs, startedAt: Date.now(), ms, failFirst };
    await t.mutation(api.work.startStream, stream);
    return () => enqueuedIds(w.jobs);
  }
  const batches: string[][] = [];
  for (let from = 0; from < w.jobs; from += ENQUEUE_BATCH) batches.push(await enqueue(t, w, from, Math.min(ENQUEUE_BATCH, w.jobs - from)));
  const all = batches.flat();
  return () => all;
}

/**
 * A flow workload's jobs, enqueued from the harness in calls of at most ENQUEUE_BATCH jobs, as the
 * plain burst workloads are; within a call, one enqueue per group of jobs with the same key (or
 * per job, for duplicate enqueues). Returns their ids in job order.
 */
async function enqueueFlow(t: App, w: Workload): Promise<string[]> {
  const f = w.flow!;
  const groups: { from: number; count: number; key?: string }[] = [];
  let from = 0;
  for (const g of f.keys ?? [{ key: undefined, jobs: w.jobs }]) {
    // Split at ENQUEUE_BATCH boundaries so each harness call gets whole groups.
    for (let left = g.jobs; left > 0; ) {
      const count = Math.min(left, ENQUEUE_BATCH - (from % ENQUEUE_BATCH));
      groups.push({ from, count, ...(g.key !== undefined ? { key: g.key } : {}) });
      from += count;
      left -= count;
    }
  }
  const ids: string[] = [];
  for (let start = 0; start < groups.length; ) {
    const call: typeof groups = [];
    const batch = Math.floor(groups[start].from / ENQUEUE_BATCH);
    while (start < groups.length && Math.floor(groups[start].from / ENQUEUE_BATCH) === batch) call.push(groups[start++]);
    const kind = w.kind === "action" ? "action" : "mutation";
    const args = { pool: f.pool, kind, groups: call, ms: w.durationMs ?? 0, priority: f.priority, dedupeKey: f.dedupeKey } as const;
    ids.push(...(await t.mutation(api.flow.enqueueFlow, args)));
  }
  return ids;
}

/** A `done` check: all jobs enqueued and finished, polled from the first unfinished id on. */
function allFinished(t: App, w: Workload, ids: () => string[] | null) {
  let finished = 0;
  const poll = (chunk: string[]) => {
    if (w.flow) return t.query(api.flow.finishedFlow, { pool: w.flow.pool, ids: chunk });
    return t.query(api.work.finishedPrefix, { pool: w.kind === "retrier" ? "retrier" : w.pool!, ids: chunk });
  };
  const check = async () => {
    const all = ids();
    if (!all) return false;
    while (finished < all.length) {
      const chunk = all.slice(finished, finished + POLL_CHUNK);
      const k = await observe(() => poll(chunk));
      finished += k;
      if (k < chunk.length) return false;
    }
    return true;
  };
  return { check, finished: () => finished };
}

/** Runs `w` on `implementation` in a fresh convex-test instance and returns its figures. */
export async function runWorkload(w: Workload, implementation: Implementation): Promise<WorkloadResult> {
  const wallStart = performance.now();
  const clock: Clock = await installSimClock();
  installConflictModel();
  try {
    const { appDir, components } = APPS[implementation];
    const t = await createApp({ appDir, components, transactionLimits: true });
    resetTally();
    resetConflicts();
    const t0 = clock.now();
    const ids = await produce(t, w);
    const done = allFinished(t, w, ids);
    const makespanMs = await runUntil(clock, { done: done.check });
    await clock.drainUntil(clock.now() + TAIL_MS);
    const rows = await observe(() => t.query(internal.jobs.rowCount, {}));
    const jobs = jobOutcomes();
    const succeeded = w.kind === "mutation" ? rows : jobs.succeeded;
    const outcome = { finished: done.finished(), succeeded, attempts: w.kind === "mutation" ? rows : jobs.attempts, rows };
    return { ...measure(w, implementation, makespanMs, outcome, performance.now() - wallStart), flow: flowFigures(w, t0), writesByTablePerJob: writesByTable(w.jobs) };
  } finally {
    clock.uninstall();
  }
}

function measure(
  w: Workload,
  implementation: Implementation,
  makespanMs: number,
  outcome: WorkloadResult["outcome"],
  wallMs: number,
): Omit<WorkloadResult, "flow"> {
  const tally = getTally();
  const totals = summarize(tally);
  const per = (x: number) => x / w.jobs;
  const ideal = idealMs(w);
  const peaks = {} as WorkloadResult["peaks"];
  for (const k of Object.keys(LIMITS) as LimitKey[]) {
    peaks[k] = { ...tally.peaks[k], shareOfLimit: tally.peaks[k].value / LIMITS[k] };
  }
  const byFunction: WorkloadResult["byFunction"] = {};
  for (const [fn, u] of Object.entries(tally.transactions)) {
    const { calls, documentsRead, documentsWritten, maxDocumentsRead, maxDocumentsWritten } = u;
    byFunction[fn] = { calls, documentsRead, documentsWritten, maxDocumentsRead, maxDocumentsWritten };
  }
  for (const [fn, runs] of Object.entries(tally.actionRuns)) {
    byFunction[fn] = { calls: runs, actionSeconds: (tally.actionMs[fn] ?? 0) / 1000 };
  }
  return {
    name: w.name,
    implementation,
    kind: w.kind,
    jobs: w.jobs,
    maxParallelism: w.maxParallelism,
    durationMs: w.durationMs ?? null,
    attemptsPerJob: attemptsPerJob(w),
    stream: w.stream ?? null,
    makespanMs,
    idealMs: ideal,
    ratioToIdeal: ideal ? makespanMs / ideal : null,
    msPerJob: makespanMs / w.jobs,
    perJob: {
      calls: per(totals.calls),
      transactions: per(totals.transactions),
      actionRuns: per(totals.actionRuns),
      nestedCalls: per(totals.nestedCalls),
      documentsRead: per(totals.documentsRead),
      documentsWritten: per(totals.documentsWritten),
      functionsScheduled: per(totals.functionsScheduled),
      actionSeconds: per(totals.actionSeconds),
    },
    ownActionSecondsPerJob: ((w.durationMs ?? 0) * attemptsPerJob(w)) / 1000,
    totals,
    peaks,
    byFunction,
    nestedByFunction: { ...tally.nested },
    bookkeepingTransactions: tally.bookkeeping,
    outcome,
    conflicts: conflictReport(w.jobs, APPS[implementation].runsUserCode),
    wallMs,
  };
}
