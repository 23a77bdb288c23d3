/**
 * An OCC conflict model over convex-test: a dev tool for the benchmark, not part of the package.
 *
 * convex-test runs top-level transactions one at a time, so it never shows an optimistic
 * concurrency conflict. This module records, for every top-level transaction, what production
 * Convex checks when it commits: the read set (documents read by id, index ranges scanned up to
 * where each scan stopped; nested runQuery/runMutation included, stale-snapshot queries not),
 * the write set (each document before and after) and three moments on one sequence: runnable,
 * started (under convex-test's lock) and committed. A transaction that wrote something is counted
 * once as conflicted if a transaction that committed after it became runnable and before it
 * started wrote a document it read by id, or a value (old or new) inside a range it read. The
 * rules, and what "runnable" means under the simulated clock, are in docs/benchmark.md
 * ("Conflict model"); the decision itself is ./conflictModel.ts.
 *
 * Every hook into convex-test is here. We patch `AsyncLocalStorage.prototype.run` to see
 * convex-test's global state (the first time we see it we wrap the prototypes of its
 * TransactionManager, DatabaseFake and Scheduler), its execution contexts (the running function)
 * and the start of each scheduled run.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import {
  SCHEDULER,
  boundValue,
  count,
  emptyTally,
  findCause,
  report,
  runsUserCode,
  type Committed,
  type ConflictReport,
  type Doc,
  type Scan,
  type Tally,
  type Txn,
} from "./conflictModel.js";

export { RUNS_USER_CODE, runsUserCode, type ConflictReport } from "./conflictModel.js";

/** convex-test's execution context (one object per running function). */
type ExecContext = { componentPath: string; udfPath: string; udfType: string; depth: number };
/** A scheduled run: the earliest sequence point at which it could have run in production. */
type ScheduledRun = { msStart: number; jobKey?: string };
type Fn = (...a: any[]) => any;
type Proto = Record<string, Fn>;

/** Committed writes older than this (simulated ms) can no longer be in anyone's window. */
const KEEP_MS = 10_000;

interface State {
  /** The global sequence: bumped when a transaction starts and when it commits. */
  seq: number;
  /** The simulated ms last seen, and `seq` when it was first seen. */
  ms: number;
  msStart: number;
  current?: Txn;
  committed: Committed[];
  /** When each `_scheduled_functions` row was inserted (commit seq), by `component|id`. */
  scheduledAt: Map<string, number>;
  /** Inside a stale-snapshot query (convex-test stashes the pending writes meanwhile). */
  stashed: number;
  /** Inside convex-test's own document walks (query evaluation, commit), which are not reads. */
  suppress: number;
  /** A scheduled function's timer just fired; its run is about to start. */
  firedAt?: number;
  lastResolved?: { fieldPathsToSortBy: string[]; order: "asc" | "desc"; limit: number | null };
  exec?: AsyncLocalStorage<ExecContext>;
  /** Per running action: no transaction it calls can be runnable before this sequence point. */
  actionFloor: WeakMap<object, number>;
  scheduledRuns: AsyncLocalStorage<ScheduledRun>;
  staleReads: AsyncLocalStorage<true>;
  patched: WeakSet<object>;
  tally: Tally;
  /** Documents written by top-level transactions (convex-test's own excluded), by "component:table". */
  writesByTable: Map<string, number>;
}

// One state per process, shared by every copy of this module (vitest may load it more than once).
const STATE = Symbol.for("convex-jobs/conflict-model");
const g = globalThis as unknown as { [STATE]?: State };

function state(): State {
  return (g[STATE] ??= {
    seq: 0,
    ms: NaN,
    msStart: 0,
    committed: [],
    scheduledAt: new Map(),
    stashed: 0,
    suppress: 0,
    actionFloor: new WeakMap(),
    scheduledRuns: new AsyncLocalStorage(),
    staleReads: new AsyncLocalStorage(),
    patched: new WeakSet(),
    tally: emptyTally(),
    writesByTable: new Map(),
  });
}

/** Notes the simulated time of an event: the first event in a new ms marks where that ms starts. */
function noteTime(s: State) {
  const now = Date.now();
  if (now !== s.ms) {
    s.ms = now;
    s.msStart = s.seq;
  }
}

/** Starts recording. Idempotent; call before the first convex-test call. */
export function installConflictModel(): void {
  const s = state();
  const proto = AsyncLocalStorage.prototype as unknown as Proto;
  if (s.patched.has(proto)) return;
  s.patched.add(proto);
  const run = proto.run;
  proto.run = function (this: AsyncLocalStorage<unknown>, store: unknown, cb: Fn, ...args: unknown[]) {
    if (this === s.scheduledRuns || this === s.staleReads) return run.call(this, store, cb, ...args);
    if (isObject(store) && "components" in store && "transactionManager" in store) {
      patchConvexTest(s, store as ConvexGlobal);
      if (s.firedAt !== undefined) {
        // convex-test enters its global right after a scheduled function's timer fires.
        const token: ScheduledRun = { msStart: s.firedAt };
        s.firedAt = undefined;
        return run.call(this, store, (...a: unknown[]) => run.call(s.scheduledRuns, token, cb, ...a), ...args);
      }
    } else if (isObject(store) && "udfType" in store && "depth" in store && "udfPath" in store) {
      const runWith = (fn: Fn) => run.call(this, store, fn, ...args);
      return enterFunction(s, this as AsyncLocalStorage<ExecContext>, store as ExecContext, cb, runWith);
    }
    return run.call(this, store, cb, ...args);
  };
}

const isObject = (x: unknown): x is object => x !== null && typeof x === "object";

/** convex-test is about to run `cb`, a function, in `ctx` (`runWith` enters the context). */
function enterFunction(s: State, storage: AsyncLocalStorage<ExecContext>, ctx: ExecContext, cb: Fn, runWith: (fn: Fn) => unknown) {
  s.exec = storage; // the latest convex-test copy (vitest may load several, one per test file)
  if (ctx.udfType === "action") {
    const parent = storage.getStore();
    const parentIsAction = parent?.udfType === "action";
    const token = s.scheduledRuns.getStore();
    const floor = parentIsAction ? (s.actionFloor.get(parent) ?? s.seq) : token ? scheduledFloor(s, token) : s.seq;
    s.actionFloor.set(ctx, floor);
    const result = runWith(cb);
    // A parent action resumes only after its ctx.runAction returns: it has seen what the child did.
    if (parentIsAction && result instanceof Promise) {
      const absorb = () => s.actionFloor.set(parent, Math.max(s.actionFloor.get(parent) ?? 0, s.actionFloor.get(ctx) ?? 0));
      result.then(absorb, absorb);
    }
    return result;
  }
  const t = s.current;
  if (t && t.fn === undefined) {
    t.fn = ctx.udfPath === "custom" ? SCHEDULER : `${ctx.componentPath || "app"}:${ctx.udfPath}`;
    t.udfType = ctx.udfType;
  }
  // The query a stale-snapshot runQuery runs: nothing it reads joins the read set.
  if (s.stashed > 0 && ctx.udfType === "query") return runWith((...a: unknown[]) => s.staleReads.run(true, () => cb(...a)));
  return runWith(cb);
}

function scheduledFloor(s: State, token: ScheduledRun): number {
  const scheduledAt = token.jobKey === undefined ? 0 : (s.scheduledAt.get(token.jobKey) ?? 0);
  return Math.max(token.msStart, scheduledAt);
}

/**
 * The earliest point at which a top-level transaction being asked for now could have started in
 * production. Direct calls from the harness: now. Calls from an action: the start of the current
 * simulated ms, but not before the action's previous transaction ended. Scheduled functions: the
 * start of the ms their timer fired in, but not before the transaction that scheduled them.
 */
function runnableNow(s: State): { runnable: number; action?: object } {
  const exec = s.exec?.getStore();
  if (exec?.udfType === "action") return { runnable: Math.max(s.msStart, s.actionFloor.get(exec) ?? s.seq), action: exec };
  const token = s.scheduledRuns.getStore();
  return { runnable: token ? scheduledFloor(s, token) : s.seq };
}

type ConvexGlobal = { components: Record<string, { db: object }>; transactionManager: object; scheduler: object };

function patchOnce(s: State, target: object, patch: (proto: Proto) => void) {
  const proto = Object.getPrototypeOf(target) as Proto;
  if (s.patched.has(proto)) return;
  s.patched.add(proto);
  patch(proto);
}

function patchConvexTest(s: State, global: ConvexGlobal) {
  patchOnce(s, global.transactionManager, (tm) => patchTransactionManager(s, tm));
  patchOnce(s, global.components[""].db, (db) => patchDatabase(s, db));
  patchOnce(s, global.scheduler, (scheduler) => {
    const timerFired = scheduler.timerFired;
    scheduler.timerFired = function (this: unknown, ...a: unknown[]) {
      noteTime(s);
      s.firedAt = s.msStart;
      return timerFired.apply(this, a);
    };
  });
}

function patchTransactionManager(s: State, tm: Proto) {
  const { begin, commit, rollback, stashWrites, restoreWrites } = tm;
  tm.begin = async function (this: unknown, isNested: boolean, ...a: unknown[]) {
    if (isNested) return begin.call(this, isNested, ...a);
    noteTime(s);
    const { runnable, action } = runnableNow(s);
    await begin.call(this, isNested, ...a);
    noteTime(s);
    s.current = { runnable, started: ++s.seq, action, ids: new Set(), scans: [], queries: new Map(), writes: [] };
  };
  tm.commit = function (this: unknown, isNested: boolean) {
    if (isNested) return commit.call(this, isNested);
    const t = s.current;
    const ts = commit.call(this, isNested);
    s.current = undefined;
    if (t) committed(s, t);
    return ts;
  };
  tm.rollback = function (this: unknown, isNested: boolean) {
    if (!isNested) {
      const t = s.current;
      s.current = undefined;
      if (t?.action) s.actionFloor.set(t.action, s.seq);
    }
    return rollback.call(this, isNested);
  };
  tm.stashWrites = function (this: unknown) {
    s.stashed++;
    return stashWrites.call(this);
  };
  tm.restoreWrites = function (this: unknown, stashed: unknown) {
    s.stashed--;
    return restoreWrites.call(this, stashed);
  };
}

/** A top-level transaction committed: decide whether it would have retried, keep its writes. */
function committed(s: State, t: Txn) {
  noteTime(s);
  const seq = ++s.seq;
  const fn = t.fn ?? SCHEDULER;
  for (const w of t.writes) {
    if (w.table === "_scheduled_functions" && w.before === null) s.scheduledAt.set(`${w.component}|${w.id}`, seq);
    if (fn !== SCHEDULER && w.table !== "_scheduled_functions") {
      const k = `${w.component || "app"}:${w.table}`;
      s.writesByTable.set(k, (s.writesByTable.get(k) ?? 0) + 1);
    }
  }
  // Read-only transactions are serializable at their snapshot: only writers can be retried.
  if (fn !== SCHEDULER && t.udfType === "mutation" && t.writes.length > 0) count(s.tally, fn, findCause(s.committed, t));
  if (t.writes.length > 0) s.committed.push({ seq, ms: s.ms, fn, writes: t.writes });
  if (t.action) s.actionFloor.set(t.action, seq);
  let old = 0;
  while (old < s.committed.length && s.committed[old].ms < s.ms - KEEP_MS) old++;
  if (old > 1000) s.committed.splice(0, old);
}

type Db = Proto & {
  _componentPath: string;
  _writes: Record<string, Doc | null>[];
  _documents: Record<string, Doc>;
};
type Query = {
  source: { type: string; indexName?: string; tableName?: string; order?: "asc" | "desc"; range?: { type: string; fieldPath: string; value: unknown }[] };
};

function patchDatabase(s: State, db: Proto) {
  const { get, commit, _iterateDocs, getFile, _resolveQuerySource, startQuery, queryNext, paginate } = db;
  /** The transaction a read joins: none inside convex-test's own walks or a stale-snapshot query. */
  const reading = () => (s.suppress === 0 && !s.staleReads.getStore() ? s.current : undefined);
  const suppressed =
    (fn: Fn) =>
    function (this: unknown, ...a: unknown[]) {
      s.suppress++;
      try {
        return fn.apply(this, a);
      } finally {
        s.suppress--;
      }
    };
  db._iterateDocs = suppressed(_iterateDocs);
  db.getFile = suppressed(getFile);

  db.get = function (this: Db, table: string | undefined, id: string) {
    const doc = get.call(this, table, id);
    if (s.suppress > 0) return doc;
    const token = s.scheduledRuns.getStore();
    // The first thing a scheduled run does is read its own `_scheduled_functions` row.
    if (token && token.jobKey === undefined && table === "_scheduled_functions") token.jobKey = `${this._componentPath}|${id}`;
    reading()?.ids.add(`${this._componentPath}|${id}`);
    return doc;
  };

  db.commit = function (this: Db, commitTs: unknown) {
    const t = s.current;
    const pending = t && this._writes.length === 1 ? this._writes[0] : undefined;
    const before = Object.keys(pending ?? {}).map((id) => [id, this._documents[id] ?? null] as const);
    suppressed(commit).call(this, commitTs);
    for (const [id, old] of before) {
      const now = this._documents[id] ?? null;
      if (old === null && now === null) continue;
      t!.writes.push({ component: this._componentPath, table: id.replace(/^[0-9]+/, ""), id, before: old, after: now });
    }
  };

  db._resolveQuerySource = function (this: Db, query: Query) {
    const r = _resolveQuerySource.call(this, query);
    s.lastResolved = r;
    return r;
  };

  db.startQuery = function (this: Db, query: Query) {
    s.lastResolved = undefined;
    const id = startQuery.call(this, query);
    const t = reading();
    if (t && s.lastResolved) {
      const scan = newScan(this, query);
      t.scans.push(scan);
      t.queries.set(`${this._componentPath}|${id}`, scan);
    }
    return id;
  };

  db.queryNext = function (this: Db, queryId: number) {
    const result = queryNext.call(this, queryId);
    const scan = s.current?.queries.get(`${this._componentPath}|${queryId}`);
    if (scan && !result.done) {
      scan.lastDoc = result.value;
      scan.returned++;
    } else if (scan && !(scan.limit !== null && scan.returned >= scan.limit)) {
      scan.exhausted = true;
    }
    return result;
  };

  db.paginate = function (this: Db, args: { query: Query; cursor: string | null; endCursor?: string | null }) {
    s.lastResolved = undefined;
    const result = paginate.call(this, args);
    const t = reading();
    if (!t || !s.lastResolved || args.cursor === "_end_cursor") return result;
    const scan = newScan(this, args.query);
    if (args.cursor) scan.after = parseCursor(args.cursor);
    if (args.endCursor && args.endCursor !== "_end_cursor") scan.lastKey = parseCursor(args.endCursor);
    else if (result.isDone) scan.exhausted = true;
    else scan.lastKey = parseCursor(result.continueCursor);
    t.scans.push(scan);
    return result;
  };

  function newScan(self: Db, query: Query): Scan {
    const { fieldPathsToSortBy, order, limit } = s.lastResolved!;
    const src = query.source;
    const [table, index] = src.type === "FullTableScan" ? [src.tableName!, "full table scan"] : src.indexName!.split(".");
    return {
      component: self._componentPath,
      table,
      index: src.type === "Search" ? `search ${index}` : index,
      bounds: (src.range ?? []).map((b) => ({ type: b.type as Scan["bounds"][number]["type"], fieldPath: b.fieldPath, value: boundValue(b.value) })),
      keyFields: fieldPathsToSortBy.includes("_id") ? fieldPathsToSortBy : [...fieldPathsToSortBy, "_id"],
      order: order === "desc" ? -1 : 1,
      // A search reads candidates we do not follow: count its whole table as read.
      exhausted: src.type === "Search",
      limit,
      returned: 0,
    };
  }
}

/** convex-test's pagination cursor: JSON of JSON-encoded key values, null for undefined. */
function parseCursor(cursor: string) {
  return (JSON.parse(cursor) as (string | null)[]).map((k) => (k === null ? undefined : boundValue(JSON.parse(k)))) as never;
}

/** Forgets everything counted so far (start of a workload). */
export function resetConflicts(): void {
  const s = state();
  s.tally = emptyTally();
  s.writesByTable.clear();
  s.committed = [];
  s.scheduledAt.clear();
  s.ms = NaN;
}

/** Documents written since the last reset by table ("component:table"), per job; convex-test's own writes excluded. */
export function writesByTable(jobs: number): Record<string, number> {
  return Object.fromEntries([...state().writesByTable].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, n / jobs]));
}

/**
 * Modelled conflicts since the last reset, per job. `isUserCode` says which victims run user
 * code (default: `runsUserCode`, editable through RUNS_USER_CODE).
 */
export function conflictReport(jobs: number, isUserCode: (fn: string) => boolean = runsUserCode): ConflictReport {
  return report(state().tally, jobs, isUserCode);
}
