/**
 * Unit tests of retry rules: which errors each rule form retries, and the errors a bad rule gets.
 * End-to-end retry behaviour is in test/retries.test.ts.
 */
import { describe, expect, test } from "vitest";
import { ruleAllowsRetry, validateRetryRule, type RetryRule } from "./retryRules.js";
import type { JobError } from "./validators.js";

const err = (message: string, data?: unknown): JobError => (data === undefined ? { message } : { message, data });

describe("ruleAllowsRetry", () => {
  test("with no rule, every error is retried", () => {
    expect(ruleAllowsRetry(undefined, err("boom"))).toBe(true);
    expect(ruleAllowsRetry(undefined, err("boom", { status: 400 }))).toBe(true);
  });

  test("an empty rule (or empty lists) retries every error", () => {
    expect(ruleAllowsRetry({}, err("boom"))).toBe(true);
    expect(ruleAllowsRetry({ messageMatches: [], dataMatches: [] }, err("boom"))).toBe(true);
  });

  test("a NonRetryableError is never retried, whatever the rule", () => {
    const nonRetryable = { message: "timeout", nonRetryable: true };
    expect(ruleAllowsRetry(undefined, nonRetryable)).toBe(false);
    expect(ruleAllowsRetry({}, nonRetryable)).toBe(false);
    expect(ruleAllowsRetry({ messageMatches: ["timeout"] }, nonRetryable)).toBe(false);
  });

  describe("messageMatches", () => {
    const rule: RetryRule = { messageMatches: ["timeout", "^ECONN"] };

    test("retries an error whose message matches any of the expressions", () => {
      expect(ruleAllowsRetry(rule, err("request timeout after 5s"))).toBe(true);
      expect(ruleAllowsRetry(rule, err("ECONNRESET"))).toBe(true);
    });

    test("is case-insensitive", () => {
      expect(ruleAllowsRetry(rule, err("Request TIMEOUT"))).toBe(true);
      expect(ruleAllowsRetry(rule, err("econnrefused"))).toBe(true);
    });

    test("does not retry an error that matches none", () => {
      expect(ruleAllowsRetry(rule, err("invalid email"))).toBe(false);
      // Anchors are honoured: "^ECONN" does not match in the middle.
      expect(ruleAllowsRetry(rule, err("got ECONNRESET"))).toBe(false);
    });

    test("treats the strings as regular expressions", () => {
      const r: RetryRule = { messageMatches: ["status (429|5\\d\\d)"] };
      expect(ruleAllowsRetry(r, err("status 503"))).toBe(true);
      expect(ruleAllowsRetry(r, err("status 429"))).toBe(true);
      expect(ruleAllowsRetry(r, err("status 404"))).toBe(false);
    });
  });

  describe("dataMatches", () => {
    test("an exact value matches only that value, with no type coercion", () => {
      const rule: RetryRule = { dataMatches: [{ status: 429 }] };
      expect(ruleAllowsRetry(rule, err("x", { status: 429 }))).toBe(true);
      expect(ruleAllowsRetry(rule, err("x", { status: 430 }))).toBe(false);
      expect(ruleAllowsRetry(rule, err("x", { status: "429" }))).toBe(false);
    });

    test("exact strings, booleans and null", () => {
      expect(ruleAllowsRetry({ dataMatches: [{ code: "RATE_LIMIT" }] }, err("x", { code: "RATE_LIMIT" }))).toBe(true);
      expect(ruleAllowsRetry({ dataMatches: [{ code: "RATE_LIMIT" }] }, err("x", { code: "rate_limit" }))).toBe(false);
      expect(ruleAllowsRetry({ dataMatches: [{ transient: true }] }, err("x", { transient: true }))).toBe(true);
      expect(ruleAllowsRetry({ dataMatches: [{ transient: true }] }, err("x", { transient: false }))).toBe(false);
      expect(ruleAllowsRetry({ dataMatches: [{ reason: null }] }, err("x", { reason: null }))).toBe(true);
      // A missing field is undefined, not null.
      expect(ruleAllowsRetry({ dataMatches: [{ reason: null }] }, err("x", {}))).toBe(false);
    });

    test("every field of one object must hold", () => {
      const rule: RetryRule = { dataMatches: [{ status: 503, service: "mail" }] };
      expect(ruleAllowsRetry(rule, err("x", { status: 503, service: "mail", extra: 1 }))).toBe(true);
      expect(ruleAllowsRetry(rule, err("x", { status: 503, service: "sms" }))).toBe(false);
      expect(ruleAllowsRetry(rule, err("x", { status: 503 }))).toBe(false);
    });

    test("any one object of the list may match", () => {
      const rule: RetryRule = { dataMatches: [{ status: 429 }, { code: "BUSY" }] };
      expect(ruleAllowsRetry(rule, err("x", { status: 429 }))).toBe(true);
      expect(ruleAllowsRetry(rule, err("x", { code: "BUSY" }))).toBe(true);
      expect(ruleAllowsRetry(rule, err("x", { status: 400, code: "BAD" }))).toBe(false);
    });

    test("a range holds for numbers inside its bounds; gte/lte include the bound, gt/lt exclude it", () => {
      const rule: RetryRule = { dataMatches: [{ status: { gte: 500, lt: 600 } }] };
      expect(ruleAllowsRetry(rule, err("x", { status: 500 }))).toBe(true);
      expect(ruleAllowsRetry(rule, err("x", { status: 599 }))).toBe(true);
      expect(ruleAllowsRetry(rule, err("x", { status: 600 }))).toBe(false);
      expect(ruleAllowsRetry(rule, err("x", { status: 499 }))).toBe(false);

      const open: RetryRule = { dataMatches: [{ n: { gt: 1, lte: 3 } }] };
      expect(ruleAllowsRetry(open, err("x", { n: 1 }))).toBe(false);
      expect(ruleAllowsRetry(open, err("x", { n: 1.5 }))).toBe(true);
      expect(ruleAllowsRetry(open, err("x", { n: 3 }))).toBe(true);
      expect(ruleAllowsRetry(open, err("x", { n: 3.01 }))).toBe(false);
    });

    test("a one-sided range is open on the other side", () => {
      const rule: RetryRule = { dataMatches: [{ retryInSeconds: { lt: 60 } }] };
      expect(ruleAllowsRetry(rule, err("x", { retryInSeconds: -1e9 }))).toBe(true);
      expect(ruleAllowsRetry(rule, err("x", { retryInSeconds: 60 }))).toBe(false);
    });

    test("a range never holds for a value that is not a number", () => {
      const rule: RetryRule = { dataMatches: [{ status: { gte: 500 } }] };
      expect(ruleAllowsRetry(rule, err("x", { status: "503" }))).toBe(false);
      expect(ruleAllowsRetry(rule, err("x", { status: null }))).toBe(false);
      expect(ruleAllowsRetry(rule, err("x", {}))).toBe(false);
    });

    test("a list holds for any of its values, with no type coercion", () => {
      const rule: RetryRule = { dataMatches: [{ status: { in: [429, 503, "busy", null] } }] };
      expect(ruleAllowsRetry(rule, err("x", { status: 429 }))).toBe(true);
      expect(ruleAllowsRetry(rule, err("x", { status: 503 }))).toBe(true);
      expect(ruleAllowsRetry(rule, err("x", { status: "busy" }))).toBe(true);
      expect(ruleAllowsRetry(rule, err("x", { status: null }))).toBe(true);
      expect(ruleAllowsRetry(rule, err("x", { status: 500 }))).toBe(false);
      expect(ruleAllowsRetry(rule, err("x", { status: "429" }))).toBe(false);
      expect(ruleAllowsRetry({ dataMatches: [{ status: { in: [] } }] }, err("x", { status: 429 }))).toBe(false);
    });

    test("an error without object data matches no dataMatches", () => {
      const rule: RetryRule = { dataMatches: [{ status: 429 }] };
      expect(ruleAllowsRetry(rule, err("status 429"))).toBe(false);
      expect(ruleAllowsRetry(rule, err("x", "status 429"))).toBe(false);
      expect(ruleAllowsRetry(rule, err("x", 429))).toBe(false);
      expect(ruleAllowsRetry(rule, { message: "x", data: null })).toBe(false);
    });
  });

  test("messageMatches and dataMatches together: either one matching is enough", () => {
    const rule: RetryRule = { messageMatches: ["timeout"], dataMatches: [{ status: 429 }] };
    expect(ruleAllowsRetry(rule, err("timeout"))).toBe(true);
    expect(ruleAllowsRetry(rule, err("rate limited", { status: 429 }))).toBe(true);
    expect(ruleAllowsRetry(rule, err("bad request", { status: 400 }))).toBe(false);
  });

  describe("neverIf", () => {
    test("alone, it retries everything except what it matches", () => {
      const rule: RetryRule = { neverIf: { messageMatches: ["invalid"], dataMatches: [{ status: { gte: 400, lt: 500 } }] } };
      expect(ruleAllowsRetry(rule, err("timeout"))).toBe(true);
      expect(ruleAllowsRetry(rule, err("x", { status: 503 }))).toBe(true);
      expect(ruleAllowsRetry(rule, err("Invalid address"))).toBe(false);
      expect(ruleAllowsRetry(rule, err("x", { status: 404 }))).toBe(false);
    });

    test("wins over a positive match", () => {
      const rule: RetryRule = {
        dataMatches: [{ status: { gte: 400 } }],
        neverIf: { dataMatches: [{ status: 401 }] },
      };
      expect(ruleAllowsRetry(rule, err("x", { status: 500 }))).toBe(true);
      expect(ruleAllowsRetry(rule, err("x", { status: 401 }))).toBe(false);
    });

    test("an empty neverIf excludes nothing", () => {
      expect(ruleAllowsRetry({ neverIf: {} }, err("anything"))).toBe(true);
      expect(ruleAllowsRetry({ messageMatches: ["a"], neverIf: {} }, err("b"))).toBe(false);
    });

    test("a message match in neverIf applies even when the data does not match", () => {
      const rule: RetryRule = { dataMatches: [{ status: 503 }], neverIf: { messageMatches: ["quota exhausted"] } };
      expect(ruleAllowsRetry(rule, err("quota exhausted", { status: 503 }))).toBe(false);
      expect(ruleAllowsRetry(rule, err("overloaded", { status: 503 }))).toBe(true);
    });
  });
});

describe("validateRetryRule", () => {
  test("accepts every rule form", () => {
    const ok: RetryRule[] = [
      {},
      { messageMatches: ["timeout", "^ECONN"] },
      { dataMatches: [{ status: 429, code: "X", ok: false, reason: null }] },
      { dataMatches: [{ status: { gte: 500, lt: 600 } }, { status: { in: [429, "busy", true, null] } }] },
      { messageMatches: ["a"], neverIf: { messageMatches: ["b"], dataMatches: [{ status: 401 }] } },
    ];
    for (const rule of ok) expect(() => validateRetryRule(rule)).not.toThrow();
  });

  const bad = (rule: unknown, where?: string) => () => validateRetryRule(rule as RetryRule, where);

  test("a rule that is not an object", () => {
    expect(bad(null)).toThrow("retryIf must be an object, e.g. { dataMatches: [{ status: 429 }] }, got null.");
    expect(bad([])).toThrow(/retryIf must be an object/);
    expect(bad("timeout")).toThrow(/retryIf must be an object/);
  });

  test("names the place given", () => {
    expect(bad(null, "Workpool 'emails' retryIf")).toThrow(/^Workpool 'emails' retryIf must be an object/);
  });

  test("a typo'd key gets a suggestion", () => {
    expect(bad({ messageMatch: ["x"] })).toThrow(/unknown option `messageMatch`; did you mean `messageMatches`\?/);
    expect(bad({ neverIf: { dataMatch: [] } })).toThrow(/retryIf\.neverIf: unknown option `dataMatch`; did you mean `dataMatches`\?/);
  });

  test("neverIf must be an object", () => {
    expect(bad({ neverIf: "invalid" })).toThrow("retryIf: `neverIf` must be an object like { messageMatches: [\"invalid\"] }");
  });

  test("a lone string where a list belongs is told to wrap it", () => {
    expect(bad({ messageMatches: "timeout" })).toThrow('`messageMatches` must be an array, e.g. ["timeout", "ECONNRESET"], got "timeout"; wrap it: ["timeout"].');
    expect(bad({ dataMatches: { status: 429 } })).toThrow(/`dataMatches` must be an array, e.g. \[\{ status: 429 \}\], got .*\.$/);
  });

  test("a message pattern that is not a string, or not a valid regular expression", () => {
    expect(bad({ messageMatches: [42] })).toThrow("`messageMatches[0]` must be a regex source string");
    expect(bad({ messageMatches: ["ok", "(unclosed"] })).toThrow("`messageMatches[1]` is not a valid regular expression");
    expect(bad({ neverIf: { messageMatches: ["["] } })).toThrow("`neverIf.messageMatches[0]` is not a valid regular expression");
  });

  test("a dataMatches entry must be a non-empty object", () => {
    expect(bad({ dataMatches: [{}] })).toThrow("`dataMatches[0]` must be a non-empty object of field conditions");
    expect(bad({ dataMatches: [429] })).toThrow("`dataMatches[0]` must be a non-empty object");
    expect(bad({ dataMatches: [[429]] })).toThrow("`dataMatches[0]` must be a non-empty object");
  });

  test("a field condition of an unknown shape", () => {
    expect(bad({ dataMatches: [{ status: [429, 503] }] })).toThrow(
      "`dataMatches[0].status` must be an exact value (string, number, boolean, null), a range like { gte: 500, lt: 600 }, or { in: [429, 503] }",
    );
    expect(bad({ dataMatches: [{ status: {} }] })).toThrow("`dataMatches[0].status` must be an exact value");
    expect(bad({ dataMatches: [{ status: {} }] })).toThrow(/got an empty object\.$/);
  });

  test("a range with a bad key or a bound that is not a finite number", () => {
    expect(bad({ dataMatches: [{ status: { gte: 500, lessThan: 600 } }] })).toThrow(/unknown option `lessThan`/);
    expect(bad({ dataMatches: [{ status: { gte: "500" } }] })).toThrow("`dataMatches[0].status`: `gte` must be a finite number");
    expect(bad({ dataMatches: [{ status: { lt: Infinity } }] })).toThrow("`lt` must be a finite number");
    expect(bad({ dataMatches: [{ status: { lt: NaN } }] })).toThrow("`lt` must be a finite number");
  });

  test("a list condition with other keys, or values that are not primitives", () => {
    expect(bad({ dataMatches: [{ status: { in: [429], gte: 500 } }] })).toThrow(/unknown option `gte`/);
    expect(bad({ dataMatches: [{ status: { in: 429 } }] })).toThrow("`dataMatches[0].status`: `in` must be an array of strings, numbers, booleans or null");
    expect(bad({ dataMatches: [{ status: { in: [{ a: 1 }] } }] })).toThrow("`in` must be an array of strings");
  });

  test("neverIf's parts are checked too, and named with their path", () => {
    expect(bad({ neverIf: { dataMatches: [{ status: { gt: "x" } }] } })).toThrow("`neverIf.dataMatches[0].status`: `gt` must be a finite number");
  });
});
