/**
 * Migrations benchmark: what a migration costs in transactions, on convex-test with Convex's
 * transaction limits enforced. Runs the example app's `setDefaultRole` (batches of 100) over
 * 5,000 users, on the demo's and the pool benchmark's harness (scripts/lib): the preloaded
 * modules, the call counting of scripts/lib/metrics.ts and the discrete-event clock.
 *
 * - top-level transactions are counted by the function that ran in them; convex-test's own
 *   scheduler bookkeeping and the harness's status polls are not counted;
 * - a nested `ctx.runMutation`/`ctx.runQuery` (the batch's `commit` into the component) is a
 *   sub-transaction of its caller, counted apart, never as a transaction.
 *
 *   npx tsx bench/migrations.ts      # prints the figures (also called from `npm run bench`)
 */
import "../scripts/lib/alias.js"; // resolves `convex-jobs` to src/ for the example app under tsx
import path from "node:path";
import { fileURLToPath } from "node:url";
import { makeFunctionReference } from "convex/server";
import { createApp } from "../scripts/lib/app.js";
import { installSimClock, runUntil } from "../scripts/lib/clock.js";
import { getTally, observe, resetTally } from "../scripts/lib/metrics.js";

const DOCS = 5_000;
const MIGRATION = "migrations:setDefaultRole";

/** The figures `npm run bench` reports. */
export interface MigrationsBenchResult {
  docs: number;
  /** Committed batches. */
  batches: number;
  /** Documents per batch transaction (batch mutations that ran, committed or not). */
  docsPerBatchTxn: number;
  /** Top-level transactions of any function (batches, runner, driver bookkeeping) per 1,000 documents. */
  txnsPer1000Docs: number;
}

type Status = { state: string; processed: number; batches: number };

/** Runs the benchmark and returns its figures. */
export async function benchMigrations(): Promise<MigrationsBenchResult> {
  const clock = await installSimClock();
  try {
    const t = await createApp({ appDir: "example/convex", transactionLimits: true });
    await t.mutation(makeFunctionReference<"mutation">("migrations:seedUsers"), { count: DOCS, migratedEvery: 4 });
    const status = async () => {
      const ref = makeFunctionReference<"query">("migrations:status");
      const [s] = (await observe(() => t.query(ref, { fns: [MIGRATION] }))) as Status[];
      return s;
    };

    resetTally();
    await t.mutation(makeFunctionReference<"mutation">("migrations:run"), { fn: MIGRATION });
    await runUntil(clock, { done: async () => (await status()).state !== "running" });
    const calls = Object.entries(getTally().transactions).map(([fn, u]) => [fn, u.calls] as const);

    const final = await status();
    if (final?.state !== "done" || final.processed !== DOCS) {
      throw new Error(`bench: migration did not finish: ${JSON.stringify(final)}`);
    }
    const batchTxns = calls.find(([fn]) => fn === `app:${MIGRATION}`)?.[1] ?? 0;
    const topLevel = calls.reduce((sum, [, n]) => sum + n, 0);
    if (process.env.BENCH_VERBOSE) console.log(Object.fromEntries(calls), getTally().nested);
    return {
      docs: final.processed,
      batches: final.batches,
      docsPerBatchTxn: round(final.processed / batchTxns),
      txnsPer1000Docs: round((topLevel / final.processed) * 1000),
    };
  } finally {
    clock.uninstall();
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await benchMigrations();
  console.log(`migrations: ${r.docs} documents in ${r.batches} batches`);
  console.log(`  documents per batch transaction: ${r.docsPerBatchTxn}`);
  console.log(`  transactions per 1,000 documents: ${r.txnsPer1000Docs} (batches, runner and driver bookkeeping)`);
}
