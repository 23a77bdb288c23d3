/**
 * Retry rules: data (not closures) that decide from an error whether to retry, so they can be
 * stored with a job and evaluated by the component later.
 *
 * An error is retried when it is not a NonRetryableError, matches no `neverIf` condition, and —
 * if `messageMatches` or `dataMatches` is given — matches at least one of them.
 */
import { v, type Infer } from "convex/values";
import type { JobError } from "./validators.js";
import { checkKeys, describe } from "./validate.js";

/** A field condition: an exact value, a numeric range, or a list of allowed values. */
const vFieldCondition = v.union(
  v.string(),
  v.number(),
  v.boolean(),
  v.null(),
  v.object({ gte: v.optional(v.number()), gt: v.optional(v.number()), lte: v.optional(v.number()), lt: v.optional(v.number()) }),
  v.object({ in: v.array(v.union(v.string(), v.number(), v.boolean(), v.null())) }),
);

const vMatch = v.object({
  /** Regular expressions (source strings, case-insensitive) tested against the error message. */
  messageMatches: v.optional(v.array(v.string())),
  /** Objects whose every field must hold in the ConvexError's data; any one object may match. */
  dataMatches: v.optional(v.array(v.record(v.string(), vFieldCondition))),
});

/** Validator of a retry rule (`retryIf` on a pool or a job). */
export const vRetryRule = v.object({
  ...vMatch.fields,
  /** Never retry errors matching this, whatever else matches. */
  neverIf: v.optional(vMatch),
});
export type RetryRule = Infer<typeof vRetryRule>;
type Match = Infer<typeof vMatch>;
type FieldCondition = Infer<typeof vFieldCondition>;

/** Throws an Error naming the bad part of a rule (e.g. a regex that does not compile, a typo'd key). */
export function validateRetryRule(rule: RetryRule, where = "retryIf"): void {
  if (typeof rule !== "object" || rule === null || Array.isArray(rule)) {
    throw new Error(`${where} must be an object, e.g. { dataMatches: [{ status: 429 }] }, got ${describe(rule)}.`);
  }
  checkKeys(rule, ["messageMatches", "dataMatches", "neverIf"], where);
  checkMatch(rule, where, "");
  if (rule.neverIf !== undefined) {
    if (typeof rule.neverIf !== "object" || rule.neverIf === null) {
      throw new Error(`${where}: \`neverIf\` must be an object like { messageMatches: ["invalid"] }, got ${describe(rule.neverIf)}.`);
    }
    checkKeys(rule.neverIf, ["messageMatches", "dataMatches"], `${where}.neverIf`);
    checkMatch(rule.neverIf, where, "neverIf.");
  }
}

function checkMatch(m: Match, where: string, path: string): void {
  const list = (field: "messageMatches" | "dataMatches", example: string): unknown[] => {
    const value = m[field];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      throw new Error(`${where}: \`${path}${field}\` must be an array, e.g. ${example}, got ${describe(value)}` +
        (typeof value === "string" ? `; wrap it: [${JSON.stringify(value)}].` : "."));
    }
    return value;
  };
  for (const [i, src] of list("messageMatches", '["timeout", "ECONNRESET"]').entries()) {
    if (typeof src !== "string") {
      throw new Error(`${where}: \`${path}messageMatches[${i}]\` must be a regex source string, got ${describe(src)}.`);
    }
    try {
      new RegExp(src, "i");
    } catch (e) {
      throw new Error(`${where}: \`${path}messageMatches[${i}]\` is not a valid regular expression: ${(e as Error).message}`, { cause: e });
    }
  }
  for (const [i, conds] of list("dataMatches", "[{ status: 429 }]").entries()) {
    const at = `${path}dataMatches[${i}]`;
    if (typeof conds !== "object" || conds === null || Array.isArray(conds) || Object.keys(conds).length === 0) {
      throw new Error(`${where}: \`${at}\` must be a non-empty object of field conditions, e.g. { status: 429 }, got ${describe(conds)}.`);
    }
    for (const [field, cond] of Object.entries(conds)) checkCondition(cond, `${where}: \`${at}.${field}\``);
  }
}

/** A field condition: a primitive, a numeric range, or `{ in: [...] }`. */
function checkCondition(cond: unknown, label: string): void {
  const primitive = (x: unknown) => x === null || ["string", "number", "boolean"].includes(typeof x);
  if (primitive(cond)) return;
  const fix = "an exact value (string, number, boolean, null), a range like { gte: 500, lt: 600 }, or { in: [429, 503] }";
  if (typeof cond !== "object" || Array.isArray(cond)) throw new Error(`${label} must be ${fix}, got ${describe(cond)}.`);
  const c = cond as Record<string, unknown>;
  if ("in" in c) {
    checkKeys(c, ["in"], label);
    if (!Array.isArray(c.in) || !c.in.every(primitive)) {
      throw new Error(`${label}: \`in\` must be an array of strings, numbers, booleans or null, got ${describe(c.in)}.`);
    }
    return;
  }
  checkKeys(c, ["gte", "gt", "lte", "lt"], label);
  if (Object.keys(c).length === 0) throw new Error(`${label} must be ${fix}, got an empty object.`);
  for (const [k, x] of Object.entries(c)) {
    if (typeof x !== "number" || !Number.isFinite(x)) throw new Error(`${label}: \`${k}\` must be a finite number, got ${describe(x)}.`);
  }
}

/** Whether the rule allows retrying this error. A NonRetryableError never is. */
export function ruleAllowsRetry(rule: RetryRule | undefined, error: JobError): boolean {
  if (error.nonRetryable) return false;
  if (!rule) return true;
  if (rule.neverIf && matches(rule.neverIf, error)) return false;
  const hasPositive = (rule.messageMatches?.length ?? 0) + (rule.dataMatches?.length ?? 0) > 0;
  return !hasPositive || matches(rule, error);
}

function matches(m: Match, error: JobError): boolean {
  if (m.messageMatches?.some((src) => new RegExp(src, "i").test(error.message))) return true;
  const data = error.data;
  if (typeof data !== "object" || data === null) return false;
  return (m.dataMatches ?? []).some((conds) =>
    Object.entries(conds).every(([field, cond]) => holds(cond, (data as Record<string, unknown>)[field])),
  );
}

function holds(cond: FieldCondition, value: unknown): boolean {
  if (cond === null || typeof cond !== "object") return value === cond;
  if ("in" in cond) return (cond.in as unknown[]).includes(value);
  if (typeof value !== "number") return false;
  const r = cond as { gte?: number; gt?: number; lte?: number; lt?: number };
  return (
    (r.gte === undefined || value >= r.gte) &&
    (r.gt === undefined || value > r.gt) &&
    (r.lte === undefined || value <= r.lte) &&
    (r.lt === undefined || value < r.lt)
  );
}
