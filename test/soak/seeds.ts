/**
 * Running a seeded simulation's scenarios: which seeds (from the environment), and running them
 * all with the component's logs muted, collecting every violation with its seed.
 */
import { vi } from "vitest";

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

/**
 * The seeds to run: `<PREFIX>_SEED` replays one; else `<PREFIX>_SCENARIOS` (default `count`)
 * seeds from `<PREFIX>_FIRST_SEED` (default 1). `only` is set when one seed replays (verbose).
 */
export function seedsFromEnv(prefix: string, count: number): { seeds: number[]; only?: number } {
  const only = env[`${prefix}_SEED`] ? Number(env[`${prefix}_SEED`]) : undefined;
  const n = Number(env[`${prefix}_SCENARIOS`] ?? count);
  const first = Number(env[`${prefix}_FIRST_SEED`] ?? 1);
  return { seeds: only !== undefined ? [only] : Array.from({ length: n }, (_, i) => first + i), only };
}

let infoListener: ((args: unknown[]) => void) | undefined;

/**
 * Hears what the component prints with console.info while `runSeeds` mutes it (its structured
 * events, see src/component/pool/events.ts). Returns a function that stops listening.
 */
export function listenToInfo(listener: (args: unknown[]) => void): () => void {
  infoListener = listener;
  return () => {
    if (infoListener === listener) infoListener = undefined;
  };
}

/** Runs every seed (one failing does not stop the others); returns the violations, each naming its seed. */
export async function runSeeds(seeds: number[], run: (seed: number) => Promise<void>): Promise<string[]> {
  // Faults and retries are logged by the component (that is part of the contract); keep the output readable.
  const logs = ["error", "warn", "info", "log"].map((m) =>
    vi.spyOn(console, m as "info").mockImplementation((...args: unknown[]) => {
      if (m === "info") infoListener?.(args);
    }),
  );
  const violations: string[] = [];
  try {
    for (const seed of seeds) {
      try {
        await run(seed);
      } catch (e) {
        violations.push(e instanceof Error ? e.message : String(e));
      }
    }
  } finally {
    logs.forEach((l) => l.mockRestore());
  }
  return violations;
}
