/**
 * Migrations benchmark: what a migration costs in transactions, on convex-test with Convex's
 * transaction limits enforced. Runs the example app's `setDefaultRole` (batches of 100) over
 * 5,000 users, counting every transaction convex-test runs:
 *
 * - top-level transactions are named by the first mutation/query handler entered in them;
 *   unnamed ones are convex-test's own scheduler bookkeeping and are not counted;
 * - a nested `ctx.runMutation`/`ctx.runQuery` (the batch's `commit` into the component) is a
 *   sub-transaction of its caller, counted apart, never as a transaction.
 *
 *   npx tsx bench/migrations.ts      # prints the figures (also called from `npm run bench`)
 */
import "../scripts/lib/alias.js"; // resolves `convex-jobs` to src/ for the example app under tsx
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import FakeTimers from "@sinonjs/fake-timers";
import { convexTest } from "convex-test";
import { TransactionMetricsTracker } from "convex-test/dist/transactionMetrics.js";
import { makeFunctionReference } from "convex/server";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DOCS = 5_000;
const MIGRATION = "migrations:setDefaultRole";

/** One transaction as convex-test ran it: top-level or nested, and the function that ran in it. */
interface Txn {
  nested: boolean;
  fn?: string;
}

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

let txns: Txn[] = [];
/** True while the harness polls status: those transactions are not the migration's. */
let observing = false;
const proto = TransactionMetricsTracker.prototype as unknown as {
  startTransaction(this: { _layers: unknown[] }, limits?: unknown): void;
};
const startTransaction = proto.startTransaction;
proto.startTransaction = function (limits) {
  if (!observing) txns.push({ nested: this._layers.length > 0 });
  return startTransaction.call(this, limits);
};

/** Names the latest unnamed transaction: a mutation or query handler runs right after its begin. */
function entered(name: string) {
  if (observing) return;
  for (let i = txns.length - 1; i >= 0; i--) {
    if (txns[i].fn === undefined) {
      txns[i].fn = name;
      return;
    }
  }
}

type Registered = { isQuery?: boolean; isMutation?: boolean; _handler?: (...a: unknown[]) => unknown };

/** convex-test's modules map for a functions directory, without `import.meta.glob`. */
async function loadModules(dir: string, label: string) {
  const files = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => {
      const full = path.join(d, e.name);
      if (e.isDirectory()) return files(full);
      return /\.ts$/.test(e.name) && !/\.(d|test)\.ts$/.test(e.name) ? [full] : [];
    });
  const map: Record<string, () => Promise<Record<string, unknown>>> = {};
  for (const file of files(dir)) {
    const modulePath = path.relative(dir, file).replace(/\\/g, "/").replace(/\.ts$/, "");
    if (modulePath === "convex.config") continue;
    const loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const wrapped: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(loaded)) {
      const fn = value as Registered;
      if (fn && (fn.isMutation || fn.isQuery) && typeof fn._handler === "function") {
        const inner = fn._handler;
        const handler = (...args: unknown[]) => {
          entered(`${label}${modulePath}:${name}`);
          return inner(...args);
        };
        wrapped[name] = new Proxy(fn, { get: (t, k, r) => (k === "_handler" ? handler : Reflect.get(t, k, r)) });
      } else wrapped[name] = value;
    }
    map[file] = async () => wrapped;
  }
  return map;
}

/** Runs the benchmark and returns its figures. */
export async function benchMigrations(): Promise<MigrationsBenchResult> {
  const schema = (await import(pathToFileURL(path.join(root, "example/convex/schema.ts")).href)).default;
  const componentSchema = (await import(pathToFileURL(path.join(root, "src/component/schema.ts")).href)).default;
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  try {
    const t = convexTest({
      schema,
      modules: await loadModules(path.join(root, "example/convex"), ""),
      transactionLimits: true,
    });
    t.registerComponent("jobs", componentSchema, await loadModules(path.join(root, "src/component"), "jobs:"));
    const ref = (name: string) => makeFunctionReference<"mutation">(name);
    await t.mutation(ref("migrations:seedUsers"), { count: DOCS, migratedEvery: 4 });

    txns = [];
    await t.mutation(ref("migrations:run"), { fn: MIGRATION });
    // A discrete-event loop: fire the next timer only when nothing is running, stop when done.
    // (Jumping to the last timer instead would fire the 5-minute watchdog after every batch.)
    const status = makeFunctionReference<"query">("migrations:status");
    for (let i = 0; i < 100_000; i++) {
      await t.finishInProgressScheduledFunctions();
      observing = true;
      const [s] = (await t.query(status, { fns: [MIGRATION] })) as { state: string }[];
      observing = false;
      if (s.state !== "running") break;
      clock.next();
    }
    const counted = txns;
    txns = [];

    const [final] = (await t.query(status, { fns: [MIGRATION] })) as { state: string; processed: number; batches: number }[];
    if (final?.state !== "done" || final.processed !== DOCS) {
      throw new Error(`bench: migration did not finish: ${JSON.stringify(final)}`);
    }
    const topLevel = counted.filter((x) => !x.nested && x.fn !== undefined);
    const batchTxns = topLevel.filter((x) => x.fn === MIGRATION).length;
    const byFn: Record<string, number> = {};
    for (const x of counted.filter((x) => x.fn !== undefined)) {
      const key = `${x.nested ? "nested " : ""}${x.fn}`;
      byFn[key] = (byFn[key] ?? 0) + 1;
    }
    if (process.env.BENCH_VERBOSE) console.log(byFn);
    return {
      docs: final.processed,
      batches: final.batches,
      docsPerBatchTxn: round(final.processed / batchTxns),
      txnsPer1000Docs: round((topLevel.length / final.processed) * 1000),
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
