/**
 * Counts what Convex would bill, while convex-test runs: function calls (transactions and action
 * runs), documents read and written, functions scheduled, simulated action time, and the largest
 * single transaction.
 *
 * Two sources, joined:
 * - convex-test's `TransactionMetricsTracker` (one per top-level transaction, with a layer per
 *   nested `ctx.runQuery`/`ctx.runMutation`). Its prototype is wrapped so that when the top-level
 *   layer ends we read the transaction's totals (nested calls' usage is folded into it, exactly
 *   as the limits see it).
 * - Entry into a registered function's handler (see ./modules.ts, which wraps every function in
 *   the modules maps). That names the transaction and tells a top-level call (the first handler
 *   entered in the transaction) from a nested one. Action handlers are counted as action runs:
 *   an action started with `ctx.runAction` from an action is its own run, as Convex bills it.
 *
 * A transaction in which no registered function ran is convex-test's own bookkeeping (around
 * each scheduled function it marks the `_scheduled_functions` row in progress, then finished, in
 * transactions of its own: `runScheduledFunction` in convex-test/dist/index.js). Those are
 * counted apart, never as calls. So are calls the harness makes to watch progress (`observe`).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { TransactionMetricsTracker } from "convex-test/dist/transactionMetrics.js";

/** The limits convex-test enforces with `transactionLimits: true` (Convex's own). */
export const LIMITS = {
  documentsRead: 32_000,
  bytesRead: 16 * 2 ** 20,
  documentsWritten: 16_000,
  bytesWritten: 16 * 2 ** 20,
  databaseQueries: 4_096,
  functionsScheduled: 1_000,
} as const;
export type LimitKey = keyof typeof LIMITS;

/** Totals for one function (or all of them). */
export interface Usage {
  calls: number;
  documentsRead: number;
  documentsWritten: number;
  functionsScheduled: number;
  bytesRead: number;
  bytesWritten: number;
  /** The most documents one call read / wrote. */
  maxDocumentsRead: number;
  maxDocumentsWritten: number;
}

/** The largest single transaction seen for one limit. */
export interface Peak {
  value: number;
  fn: string;
}

/** Everything counted since the last `reset()`. */
export interface Tally {
  /** Top-level transactions (mutations and queries) by function name. */
  transactions: Record<string, Usage>;
  /** Action runs by function name. */
  actionRuns: Record<string, number>;
  /**
   * Simulated ms spent in action runs, by function name (`Date.now()` under the fake clock, from
   * handler entry to exit). An action that `ctx.runAction`s another is billed for its whole
   * wait, so both runs' time counts, as Convex bills action compute.
   */
  actionMs: Record<string, number>;
  /** `ctx.runMutation`/`ctx.runQuery` made inside a transaction, by callee. Not calls. */
  nested: Record<string, number>;
  /** convex-test's own transactions around scheduled runs. Not calls. */
  bookkeeping: number;
  /** Calls made by the harness to watch progress. Not counted. */
  observed: number;
  /** The most any one transaction used, per limit. */
  peaks: Record<LimitKey, Peak>;
}

type Layer = { metrics: Record<LimitKey, number> };
/** What the harness notes on the call in flight: its function name, and whether it only observes. */
type CallNote = { fn?: string; observed: boolean };
type Tracker = { _layers: Layer[]; __call?: CallNote };

const observing = new AsyncLocalStorage<true>();
let current: Tracker | undefined;
let tally = emptyTally();
/** Bumped on every transaction start/end and handler entry/exit: lets the clock see progress. */
let activity = 0;

function emptyTally(): Tally {
  const peaks = {} as Record<LimitKey, Peak>;
  for (const k of Object.keys(LIMITS) as LimitKey[]) peaks[k] = { value: 0, fn: "" };
  return { transactions: {}, actionRuns: {}, actionMs: {}, nested: {}, bookkeeping: 0, observed: 0, peaks };
}

function emptyUsage(): Usage {
  return {
    calls: 0,
    documentsRead: 0,
    documentsWritten: 0,
    functionsScheduled: 0,
    bytesRead: 0,
    bytesWritten: 0,
    maxDocumentsRead: 0,
    maxDocumentsWritten: 0,
  };
}

/** Starts counting afresh. */
export function resetTally(): void {
  tally = emptyTally();
}

/** What was counted since the last reset. */
export function getTally(): Tally {
  return tally;
}

/** A counter that changes whenever any function makes progress. */
export function activityCount(): number {
  return activity;
}

/** Runs `fn` (a harness query, e.g. polling stats) without counting its calls. */
export function observe<T>(fn: () => Promise<T>): Promise<T> {
  return observing.run(true, fn);
}

/**
 * Called by the wrapped handlers (./modules.ts) on entry into a registered function. Returns
 * the function to call on exit.
 */
export function enterFunction(name: string, type: "query" | "mutation" | "action"): () => void {
  activity++;
  const watched = observing.getStore() === true;
  if (type === "action") {
    if (watched) return () => void activity++;
    tally.actionRuns[name] = (tally.actionRuns[name] ?? 0) + 1;
    const startedAt = Date.now();
    const counted = tally;
    return () => {
      activity++;
      counted.actionMs[name] = (counted.actionMs[name] ?? 0) + (Date.now() - startedAt);
    };
  } else {
    const call = current?.__call;
    if (call && call.fn === undefined) {
      call.fn = name;
      call.observed = watched;
    } else if (call && !call.observed) {
      tally.nested[name] = (tally.nested[name] ?? 0) + 1;
    }
  }
  return () => {
    activity++;
  };
}

function endTopLevel(tracker: Tracker, committed: boolean) {
  const call = tracker.__call;
  const m = tracker._layers[0]?.metrics;
  if (!call || !m) return;
  if (call.fn === undefined) {
    tally.bookkeeping++;
    return;
  }
  if (call.observed) {
    tally.observed++;
    return;
  }
  const usage = (tally.transactions[call.fn] ??= emptyUsage());
  usage.calls++;
  usage.documentsRead += m.documentsRead;
  usage.bytesRead += m.bytesRead;
  // A transaction that threw committed nothing.
  usage.documentsWritten += committed ? m.documentsWritten : 0;
  usage.bytesWritten += committed ? m.bytesWritten : 0;
  usage.functionsScheduled += committed ? m.functionsScheduled : 0;
  usage.maxDocumentsRead = Math.max(usage.maxDocumentsRead, m.documentsRead);
  usage.maxDocumentsWritten = Math.max(usage.maxDocumentsWritten, committed ? m.documentsWritten : 0);
  for (const k of Object.keys(LIMITS) as LimitKey[]) {
    if (m[k] > tally.peaks[k].value) tally.peaks[k] = { value: m[k], fn: call.fn };
  }
}

/**
 * convex-test 0.0.71 keeps every query's full sorted result set for the life of the test
 * (`DatabaseFake._queryResults`; its `queryCleanup` syscall does nothing). At 20,000 jobs that
 * is gigabytes and most of the run goes to garbage collection. A query cannot outlive its
 * transaction, so when a top-level transaction ends we drop the results it left behind. The
 * test's global state (with each component's DatabaseFake) is reached by noting the store
 * convex-test passes to `AsyncLocalStorage.run`; nothing else about it is touched.
 */
type ConvexGlobal = { components: Record<string, { db: { _queryResults?: object } }>; transactionManager: unknown };
const convexGlobals = new Set<ConvexGlobal>();

function captureConvexGlobals() {
  const proto = AsyncLocalStorage.prototype as unknown as { run: (...a: unknown[]) => unknown };
  const run = proto.run;
  proto.run = function (this: unknown, store: unknown, ...rest: unknown[]) {
    if (store && typeof store === "object" && "components" in store && "transactionManager" in store) {
      convexGlobals.add(store as ConvexGlobal);
    }
    return run.call(this, store, ...rest);
  };
}

function dropQueryResults() {
  for (const g of convexGlobals) {
    for (const c of Object.values(g.components)) if (c.db._queryResults) c.db._queryResults = {};
  }
}

/** Forgets test instances from earlier runs (call when starting a new one). */
export function forgetOldApps(): void {
  convexGlobals.clear();
}

let installed = false;

/** Wraps convex-test's tracker. Idempotent; call before the first transaction. */
export function installMetrics(): void {
  if (installed) return;
  installed = true;
  captureConvexGlobals();
  const proto = TransactionMetricsTracker.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const start = proto.startTransaction;
  const commit = proto.commit;
  const rollback = proto.rollback;
  proto.startTransaction = function (this: Tracker, ...args: unknown[]) {
    activity++;
    if (this._layers.length === 0) {
      this.__call = { observed: false };
      // The tracker in flight, for enterFunction to name (the handler runs outside this call).
      // eslint-disable-next-line @typescript-eslint/no-this-alias
      current = this;
    }
    return start.apply(this, args);
  };
  proto.commit = function (this: Tracker, ...args: unknown[]) {
    activity++;
    if (this._layers.length !== 1) return commit.apply(this, args);
    endTopLevel(this, true);
    try {
      return commit.apply(this, args);
    } finally {
      dropQueryResults();
    }
  };
  // Queries always end this way; a mutation that threw does too.
  proto.rollback = function (this: Tracker, ...args: unknown[]) {
    activity++;
    if (this._layers.length !== 1) return rollback.apply(this, args);
    endTopLevel(this, false);
    try {
      return rollback.apply(this, args);
    } finally {
      dropQueryResults();
    }
  };
}

/** Sums a tally into per-workload totals. */
export function summarize(t: Tally) {
  const total = emptyUsage();
  for (const u of Object.values(t.transactions)) {
    for (const k of Object.keys(total) as (keyof Usage)[]) {
      total[k] = k.startsWith("max") ? Math.max(total[k], u[k]) : total[k] + u[k];
    }
  }
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const actionRuns = sum(t.actionRuns);
  const nestedCalls = sum(t.nested);
  const actionSeconds = sum(t.actionMs) / 1000;
  const { calls: transactions, ...documents } = total;
  return { calls: transactions + actionRuns, transactions, actionRuns, nestedCalls, actionSeconds, ...documents };
}
