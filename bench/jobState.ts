/**
 * What the benchmark's job functions did, in this process: attempts per job, which jobs
 * succeeded, and the ids streamed producers enqueued. Kept in memory, not in the database, so
 * that watching it costs no reads or writes; each workload runs in a process of its own
 * (bench/run.ts), so nothing carries over.
 */
const attempts = new Map<number, number>();
const succeeded = new Set<number>();

/** Records an attempt of job `n` and returns its number (1 for the first). */
export function recordAttempt(n: number): number {
  const attempt = (attempts.get(n) ?? 0) + 1;
  attempts.set(n, attempt);
  return attempt;
}

/** Records that job `n` succeeded. */
export function recordSuccess(n: number): void {
  succeeded.add(n);
}

/** How many distinct jobs succeeded, and how many attempts were made in all. */
export function jobOutcomes(): { succeeded: number; attempts: number } {
  let total = 0;
  for (const a of attempts.values()) total += a;
  return { succeeded: succeeded.size, attempts: total };
}

/** Ids of streamed workloads' jobs, by job number, as their producer enqueued them. */
const enqueued: string[] = [];

/** Records the ids of jobs numbered `from`, `from + 1`, ... (a streamed workload's batch). */
export function recordEnqueued(from: number, ids: string[]): void {
  ids.forEach((id, i) => (enqueued[from + i] = id));
}

/** The ids of jobs 0 to `total` - 1 once all are enqueued, in job order; null before that. */
export function enqueuedIds(total: number): string[] | null {
  const ids = enqueued.slice(0, total);
  return ids.length === total && ids.every((id) => id !== undefined) ? ids : null;
}

/** One job start of a flow workload: the job's number, its concurrency key, when (simulated ms). */
export interface Start {
  n: number;
  key: string | null;
  at: number;
}
const starts: Start[] = [];
const runningByKey = new Map<string, number>();
const peakByKey = new Map<string, number>();
let running = 0;
let peak = 0;

/**
 * Records that a flow job started (an action: until `recordEnd`; a mutation starts and ends in
 * its one transaction), counting jobs running at once, per key and in all.
 */
export function recordStart(n: number, key: string | null, at: number): void {
  starts.push({ n, key, at });
  const k = key ?? "";
  const now = (runningByKey.get(k) ?? 0) + 1;
  runningByKey.set(k, now);
  peakByKey.set(k, Math.max(peakByKey.get(k) ?? 0, now));
  peak = Math.max(peak, ++running);
}

/** Records that a flow job started with `recordStart` ended (returned or threw). */
export function recordEnd(key: string | null): void {
  const k = key ?? "";
  runningByKey.set(k, (runningByKey.get(k) ?? 1) - 1);
  running--;
}

/** Every flow job start so far, in order, and the most jobs seen running at once (per key; "" for none). */
export function flowLog(): { starts: readonly Start[]; peak: number; peakByKey: ReadonlyMap<string, number> } {
  return { starts, peak, peakByKey };
}
