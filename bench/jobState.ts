/**
 * What the benchmark's job functions did, in this process: attempts per job and which jobs
 * succeeded. Kept in memory, not in the database, so that watching it costs no reads or writes;
 * each workload runs in a process of its own (bench/run.ts), so nothing carries over.
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
