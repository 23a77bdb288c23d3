/**
 * The pure part of the OCC conflict model (./conflicts.ts records; this decides and counts):
 * what a transaction read and wrote, whether a write falls inside what another transaction read,
 * and the per-function tallies. No convex-test here, so it is easy to read on its own.
 */
import { CommitTsPlaceholder, compareValues, jsonToConvex, type Value } from "convex/values";

/**
 * Which victims run user code. For convex-jobs, user code runs in the app's own mutations (they
 * call enqueue: any function of the app, label "app:"), in mutation workers and in action
 * completions (onComplete). Edit this map when functions are renamed or split; functions not
 * listed fall back to "app:" = user code, everything else = none.
 */
export const RUNS_USER_CODE: Record<string, boolean> = {
  "jobs:pool/worker:runMutationJob": true,
  "jobs:pool/worker:complete": true,
  // Cancels pending jobs in batches and runs their onComplete.
  "jobs:pool/cancel:cancelPendingBatch": true,
  "jobs:pool/dispatch:dispatch": false,
};

/** Whether the transaction named `fn` runs user code (see RUNS_USER_CODE). */
export function runsUserCode(fn: string): boolean {
  return RUNS_USER_CODE[fn] ?? fn.startsWith("app:");
}

/** The name given to convex-test's own transactions (scheduled-run bookkeeping, `t.run`). */
export const SCHEDULER = "(scheduler)";

/** A document as convex-test stores it. */
export type Doc = { _id: string; [field: string]: unknown };
type Key = Value[];

/** One bound of an index range, as convex-test evaluates it (field op value). */
export interface Bound {
  type: "Eq" | "Gt" | "Gte" | "Lt" | "Lte";
  fieldPath: string;
  value: Value | undefined;
}

/** An index range a transaction read, up to where its scan stopped. */
export interface Scan {
  component: string;
  table: string;
  /** The index name, "full table scan" or "search <index>". */
  index: string;
  bounds: Bound[];
  /** The index key: its fields, then _creationTime and _id. */
  keyFields: string[];
  order: 1 | -1;
  /** Keys at or before this one (in scan order) were not read (a pagination cursor). */
  after?: Key;
  /** The last document (or key) the scan returned; with `exhausted` false, nothing past it was read. */
  lastDoc?: Doc;
  lastKey?: Key;
  /** The scan reached the end of its range. */
  exhausted: boolean;
  limit: number | null;
  returned: number;
}

/** One document a transaction wrote: its value before and after (null: absent). */
export interface Write {
  component: string;
  table: string;
  id: string;
  before: Doc | null;
  after: Doc | null;
}

/** A top-level transaction as the model sees it. Moments are on one global sequence. */
export interface Txn {
  fn?: string;
  udfType?: string;
  runnable: number;
  started: number;
  /** Documents read by id, as `component|id`. */
  ids: Set<string>;
  scans: Scan[];
  /** Open scans by `component|queryId`, to follow their progress. */
  queries: Map<string, Scan>;
  writes: Write[];
  /** The execution context of the action that called it, if any. */
  action?: object;
}

/** A committed transaction with writes: a potential cause of others' conflicts. */
export interface Committed {
  seq: number;
  ms: number;
  fn: string;
  writes: Write[];
}

/** Why a transaction would have retried. */
export interface Cause {
  writer: string;
  table: string;
  index: string;
}

const MAX_COMMIT_TS = 2n ** 63n - 1n;

function resolve(v: unknown): Value | undefined {
  return v instanceof CommitTsPlaceholder ? MAX_COMMIT_TS : (v as Value | undefined);
}

function field(doc: Doc, path: string): Value | undefined {
  let v: unknown = doc;
  for (const p of path.split(".")) v = v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>)[p] : undefined;
  return resolve(v);
}

function keyOf(doc: Doc, fields: string[]): Key {
  return fields.map((f) => field(doc, f) as Value);
}

function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return c;
  }
  return 0;
}

/** A query bound or literal as convex-test evaluates it (`{$undefined}` is undefined). */
export function boundValue(json: unknown): Value | undefined {
  if (json !== null && typeof json === "object" && "$undefined" in json) return undefined;
  return resolve(jsonToConvex(json as never));
}

function withinBound(doc: Doc, b: Bound): boolean {
  const c = compareValues(field(doc, b.fieldPath), b.value);
  switch (b.type) {
    case "Eq":
      return c === 0;
    case "Gt":
      return c > 0;
    case "Gte":
      return c >= 0;
    case "Lt":
      return c < 0;
    case "Lte":
      return c <= 0;
  }
}

/** Whether `doc` (a value some transaction wrote) lies in the part of the range `scan` read. */
export function inScan(scan: Scan, doc: Doc): boolean {
  if (!scan.bounds.every((b) => withinBound(doc, b))) return false;
  const key = keyOf(doc, scan.keyFields);
  if (scan.after && compareKeys(key, scan.after) * scan.order <= 0) return false;
  if (scan.exhausted) return true;
  const last = scan.lastKey ?? (scan.lastDoc && keyOf(scan.lastDoc, scan.keyFields));
  return last !== undefined && compareKeys(key, last) * scan.order <= 0;
}

/** Index of the first entry committed after `seq` (entries are in commit order). */
function firstAfter(list: Committed[], seq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].seq > seq) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The first write, by a transaction that committed after `t` became runnable and before it
 * started, that `t`'s reads depend on; undefined if there is none.
 */
export function findCause(committed: Committed[], t: Txn): Cause | undefined {
  for (let i = firstAfter(committed, t.runnable); i < committed.length && committed[i].seq < t.started; i++) {
    const w = committed[i];
    for (const write of w.writes) {
      const byId = t.ids.has(`${write.component}|${write.id}`);
      // T can only have read an inserted document by id after finding it some other way (a scan).
      if (byId && write.before !== null) return { writer: w.fn, table: write.table, index: "by id" };
      for (const s of t.scans) {
        if (s.component !== write.component || s.table !== write.table) continue;
        if ((write.before && inScan(s, write.before)) || (write.after && inScan(s, write.after))) {
          return { writer: w.fn, table: write.table, index: s.index };
        }
      }
      if (byId) return { writer: w.fn, table: write.table, index: "by id" };
    }
  }
  return undefined;
}

/** Counts since the last reset. */
export interface Tally {
  byVictim: Map<string, { transactions: number; conflicted: number }>;
  byPair: Map<string, Cause & { victim: string; conflicts: number }>;
}

/** A tally with nothing counted. */
export function emptyTally(): Tally {
  return { byVictim: new Map(), byPair: new Map() };
}

/** Records one modelled transaction and, if it would have retried, why. */
export function count(tally: Tally, victim: string, cause: Cause | undefined): void {
  const v = tally.byVictim.get(victim) ?? { transactions: 0, conflicted: 0 };
  tally.byVictim.set(victim, v);
  v.transactions++;
  if (!cause) return;
  v.conflicted++;
  const key = [victim, cause.writer, cause.table, cause.index].join("\u0000");
  const pair = tally.byPair.get(key) ?? { victim, ...cause, conflicts: 0 };
  tally.byPair.set(key, pair);
  pair.conflicts++;
}

/** Modelled conflicts of one workload. */
export interface ConflictReport {
  /** Committed top-level mutations that wrote something (the possible victims). */
  transactions: number;
  /** Of those, how many would have been retried at least once. */
  conflicted: number;
  /** conflicted / jobs. */
  perJob: number;
  /** Conflicts of transactions that run user code, per job. */
  userCodePerJob: number;
  /** Conflicts of transactions that run no user code (the dispatcher), per job. */
  noUserCodePerJob: number;
  byVictim: { fn: string; runsUserCode: boolean; transactions: number; conflicted: number }[];
  /** One line per (victim, writer, table, index), most conflicts first. */
  byPair: (Cause & { victim: string; runsUserCode: boolean; conflicts: number; perJob: number })[];
}

/** Summarizes a tally per job. `isUserCode` classifies victims (default: runsUserCode). */
export function report(tally: Tally, jobs: number, isUserCode: (fn: string) => boolean = runsUserCode): ConflictReport {
  let transactions = 0;
  let conflicted = 0;
  let userCode = 0;
  const byVictim: ConflictReport["byVictim"] = [];
  for (const [fn, v] of tally.byVictim) {
    transactions += v.transactions;
    conflicted += v.conflicted;
    if (isUserCode(fn)) userCode += v.conflicted;
    byVictim.push({ fn, runsUserCode: isUserCode(fn), ...v });
  }
  const byPair = [...tally.byPair.values()]
    .map((p) => ({ ...p, runsUserCode: isUserCode(p.victim), perJob: p.conflicts / jobs }))
    .sort((a, b) => b.conflicts - a.conflicts);
  return {
    transactions,
    conflicted,
    perJob: conflicted / jobs,
    userCodePerJob: userCode / jobs,
    noUserCodePerJob: (conflicted - userCode) / jobs,
    byVictim: byVictim.sort((a, b) => b.conflicted - a.conflicted),
    byPair,
  };
}
