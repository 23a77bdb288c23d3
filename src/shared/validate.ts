/**
 * Boundary checks shared by the three clients (Workpool, ActionRetrier, Migrations) and the retry
 * policy/rule validators: unknown option keys with a "did you mean" hint, function references,
 * contexts, timestamps and sizes. Each throws an Error that names the argument and the fix.
 */
import * as values from "convex/values";
import type { Value } from "convex/values";
import { getFunctionName } from "convex/server";

/** Convex's limit on one document, in bytes. */
export const MAX_DOCUMENT_BYTES = 1 << 20;

type SizeFns = { getConvexSize?: (v: Value) => number; getDocumentSize?: (d: Record<string, Value>) => number };
const sizeFns = values as unknown as SizeFns;

/**
 * A value's size as Convex counts it toward its limits: `getConvexSize` from convex/values where
 * the installed convex has it (recent versions), else the length of its JSON form (an estimate:
 * close for strings, which is where big values come from). Throws for a non-Convex value.
 */
export function convexSize(value: unknown): number {
  if (sizeFns.getConvexSize) return sizeFns.getConvexSize(value as Value);
  return value === undefined ? 0 : JSON.stringify(values.convexToJson(value as Value)).length;
}

/** A stored document's size (system fields included), as `convexSize` estimates it. */
export function documentSize(doc: Record<string, unknown>): number {
  if (sizeFns.getDocumentSize) return sizeFns.getDocumentSize(doc as Record<string, Value>);
  return convexSize(doc);
}

/**
 * Refuses keys of `options` not in `allowed`, suggesting the closest allowed one.
 * @param where what the options belong to, e.g. `new Workpool("emails")`
 */
export function checkKeys(options: unknown, allowed: readonly string[], where: string): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new Error(`${where}: expected an options object, got ${describe(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    const near = closest(key, allowed);
    throw new Error(
      `${where}: unknown option \`${key}\`${near ? `; did you mean \`${near}\`?` : "."} ` +
        `Allowed: ${allowed.map((k) => `\`${k}\``).join(", ")}.`,
    );
  }
}

/** The allowed name closest to `name` (edit distance, case-insensitive), if it is close enough. */
export function closest(name: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = name.toLowerCase();
  for (const candidate of allowed) {
    const c = candidate.toLowerCase();
    // A prefix (`retention` for `retentionMs`) counts as a near miss.
    const d = c.startsWith(lower) || lower.startsWith(c) ? 1 : editDistance(lower, c);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  // A typo, a plural, a different casing: less than half of the word differs.
  return bestDistance <= Math.max(2, Math.floor(name.length * 0.45)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/**
 * Checks that `fn` is a function reference (`internal.module.fn`) and returns its name. Catches
 * the usual mistakes: undefined (a missing export or a circular import) and the registered
 * function object itself (imported from its module instead of through `internal`).
 */
export function checkFunctionRef(fn: unknown, argName: string, where: string): string {
  const hint = "pass a function reference like internal.module.fn";
  if (fn === undefined || fn === null) {
    throw new Error(
      `${where}: \`${argName}\` is ${fn}: ${hint} (is the export missing, misspelled, or imported circularly?).`,
    );
  }
  if (isRegisteredFunction(fn)) {
    throw new Error(
      `${where}: \`${argName}\` is a registered function, not a reference to it: ${hint}, not the function itself.`,
    );
  }
  if (typeof fn === "string" && !/^[^:\s]+:[^:\s]+$/.test(fn)) {
    throw new Error(`${where}: \`${argName}\` is the string ${describe(fn)}, not a function reference: ${hint}.`);
  }
  let name: string | undefined;
  try {
    name = getFunctionName(fn as never);
  } catch {
    name = undefined;
  }
  if (typeof name !== "string" || name.length === 0) {
    throw new Error(`${where}: \`${argName}\` is ${describe(fn)}, not a function reference: ${hint}.`);
  }
  return name;
}

function isRegisteredFunction(fn: unknown): boolean {
  if (typeof fn !== "function" && (typeof fn !== "object" || fn === null)) return false;
  const f = fn as Record<string, unknown>;
  return Boolean(f.isMutation || f.isAction || f.isQuery || f.isHttp) && ("_handler" in f || "invokeMutation" in f || "invokeAction" in f || "invokeQuery" in f);
}

/** Checks that `ctx` can run mutations (a mutation's or an action's ctx, not a query's). */
export function checkMutationCtx(ctx: unknown, where: string): void {
  checkQueryCtx(ctx, where);
  if (typeof (ctx as { runMutation?: unknown }).runMutation !== "function") {
    throw new Error(
      `${where}: \`ctx\` cannot run mutations (is it a query's ctx?). Queries are read-only: call this from a mutation or an action.`,
    );
  }
}

/** Checks that `ctx` can run queries (any Convex function's ctx). */
export function checkQueryCtx(ctx: unknown, where: string): void {
  if (typeof ctx !== "object" || ctx === null || typeof (ctx as { runQuery?: unknown }).runQuery !== "function") {
    throw new Error(`${where}: \`ctx\` must be the ctx of a Convex query, mutation or action, got ${describe(ctx)}.`);
  }
}

/** The earliest plausible `runAt`: a timestamp before this is almost surely in seconds. */
export const EARLIEST_RUN_AT = Date.UTC(2001, 0, 1);

/** Checks a `runAt`: a finite ms timestamp, not one given in seconds by mistake. */
export function checkRunAt(runAt: unknown, where: string): number {
  if (typeof runAt !== "number" || !Number.isFinite(runAt) || runAt < 0) {
    throw new Error(`${where}: \`runAt\` must be a finite, non-negative timestamp in ms since the epoch, got ${describe(runAt)}.`);
  }
  if (runAt < EARLIEST_RUN_AT) {
    throw new Error(
      `${where}: \`runAt\` ${runAt} is before 2001-01-01 as milliseconds: it looks like seconds, pass milliseconds (e.g. Date.now() + 5000).`,
    );
  }
  return runAt;
}

/** Checks that `value` is one of `allowed` (a string enum such as `logLevel`). */
export function checkOneOf<T extends string>(value: unknown, allowed: readonly T[], argName: string, where: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  const near = typeof value === "string" ? closest(value, allowed) : undefined;
  throw new Error(
    `${where}: \`${argName}\` must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${describe(value)}` +
      `${near ? `; did you mean "${near}"?` : "."}`,
  );
}

/** Checks an optional boolean option (a string "false" is not false). */
export function checkBoolean(value: unknown, argName: string, where: string): boolean | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  throw new Error(`${where}: \`${argName}\` must be true or false, got ${describe(value)}.`);
}

/** Checks that a Convex value fits in `limit` bytes (Convex's own size estimate). */
export function checkSize(value: unknown, limit: number, argName: string, where: string): void {
  let size: number;
  try {
    size = convexSize(value);
  } catch (e) {
    throw new Error(`${where}: \`${argName}\` is not a Convex value (${(e as Error).message}).`, { cause: e });
  }
  if (size > limit) {
    throw new Error(
      `${where}: \`${argName}\` is ${formatBytes(size)}; it must fit in ${formatBytes(limit)} ` +
        `(a job is one Convex document, at most ${formatBytes(MAX_DOCUMENT_BYTES)}). Store big data in a table or file storage and pass its id.`,
    );
  }
}

/** "1,258,291 bytes (1.2 MiB)". */
export function formatBytes(n: number): string {
  return `${n.toLocaleString("en-US")} bytes (${(n / MAX_DOCUMENT_BYTES).toFixed(2)} MiB)`;
}

/** A short description of a wrong value for messages: its type, and the value if it is small. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array (${value.length} items)`;
  if (typeof value === "string") return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (typeof value === "object") return "an object";
  return `${typeof value === "number" || typeof value === "boolean" ? "" : `${typeof value} `}${String(value)}`.trim();
}
