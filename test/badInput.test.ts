/**
 * Table-driven bad input: every row is one wrong call to a public method or option of pools, the
 * retrier or migrations. Each must fail loudly (throw) or end its job failed, with a message that
 * names the argument or the cause. Per group, witness jobs enqueued alongside still complete
 * exactly once, and every pool's `stats` equal a recount of the component's tables.
 */
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { resetLive } from "./app/fns.js";
import { pool, setup } from "./setup.js";
import { installClock, type Clock } from "../src/test.js";
import type { PoolStats, Workpool } from "../src/client/index.js";
import { checkRow, checkWitnesses, enqueueWitnesses, type H, type Row } from "./badInput/harness.js";
import { constructorRows, enqueueRows, failedJobRows, idRows } from "./badInput/poolRows.js";
import { retrierRows } from "./badInput/retrierRows.js";
import { migrationRows } from "./badInput/migrationRows.js";

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
  resetLive();
});
afterEach(() => clock.uninstall());

const groups: { name: string; rows: Row[] }[] = [
  { name: "Workpool constructor", rows: constructorRows },
  { name: "enqueue", rows: enqueueRows },
  { name: "jobs that must end failed", rows: failedJobRows },
  { name: "id methods", rows: idRows },
  { name: "ActionRetrier", rows: retrierRows },
  { name: "Migrations", rows: migrationRows },
];

test("the table has at least 100 wrong calls, and README.md says how many", () => {
  const total = groups.reduce((n, g) => n + g.rows.length, 0);
  expect(total).toBeGreaterThanOrEqual(100);
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  expect(readme.match(/a table of (\d+) wrong calls/)?.[1], "README.md, on bad input: \"a table of N wrong calls\"").toBe(String(total));
});

describe("bad input", () => {
  for (const group of groups) {
    test(`${group.name} (${group.rows.length} calls)`, async () => {
      const t = setup();
      const cleaned = new Map<string, PoolStats>();
      const h: H = {
        t,
        pool: pool({ name: "bad", maxParallelism: 2 }),
        run: (f) => t.run(f as never),
        cleaned: (p: Workpool, kind: keyof PoolStats) => {
          const c = cleaned.get(p.options.name) ?? { pending: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };
          c[kind]++;
          cleaned.set(p.options.name, c);
        },
      };
      const witnesses = await enqueueWitnesses(h, group.name);
      for (const row of group.rows) await checkRow(row, h, clock);
      await clock.advance(10_000);
      // A plain handle on the retrier's pool, to read its stats (a handle writes nothing).
      const retrierPool = pool({ name: "bad-retrier", maxParallelism: 100 });
      await checkWitnesses(h, witnesses, [h.pool, retrierPool], cleaned);
    });
  }
});
