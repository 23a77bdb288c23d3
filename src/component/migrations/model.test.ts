/**
 * Unit tests of the adaptive batch size: growth after a committed batch (grownBatchSize) and the
 * split after a transaction-limit failure (splitPatch). End to end: test/migrations*.test.ts.
 */
import { describe, expect, test } from "vitest";
import type { MigrationError } from "../../shared/migrations.js";
import { CEILING_MEMORY_BATCHES, grownBatchSize, splitPatch, type Migration } from "./model.js";

/** The fields of a migration that the size decisions read. */
type SizeFields = Pick<Migration, "batchSize" | "batchesSinceSplit" | "sizeCeiling" | "lastGoodSize" | "splits">;
const migration = (fields: Partial<SizeFields>): Migration =>
  ({ batchSize: 1_000, batchesSinceSplit: 0, splits: 0, ...fields }) as Migration;
const limitError: MigrationError = { kind: "limit", message: "Too many documents read", at: 0 };

describe("grownBatchSize", () => {
  test("with no ceiling, doubles the size that committed", () => {
    expect(grownBatchSize(migration({}), 100)).toEqual({ size: 200, ceiling: undefined });
    expect(grownBatchSize(migration({}), 1)).toEqual({ size: 2, ceiling: undefined });
  });

  test("never grows past the configured batchSize", () => {
    expect(grownBatchSize(migration({ batchSize: 1_000 }), 600)).toEqual({ size: 1_000, ceiling: undefined });
    expect(grownBatchSize(migration({ batchSize: 1_000 }), 1_000)).toEqual({ size: 1_000, ceiling: undefined });
  });

  test("shrinks to batchSize when the committed batch was larger (the configured size went down)", () => {
    expect(grownBatchSize(migration({ batchSize: 100 }), 500).size).toBe(100);
  });

  test("is at least 1", () => {
    expect(grownBatchSize(migration({}), 0).size).toBe(1);
  });

  test("below a ceiling, grows halfway to it (a bisection)", () => {
    const m = migration({ sizeCeiling: 400, batchesSinceSplit: 1 });
    expect(grownBatchSize(m, 200)).toEqual({ size: 300, ceiling: 400 });
    expect(grownBatchSize(m, 300)).toEqual({ size: 350, ceiling: 400 });
    expect(grownBatchSize(m, 397)).toEqual({ size: 398, ceiling: 400 });
  });

  test("stays below the ceiling, and settles one under it", () => {
    const m = migration({ sizeCeiling: 400, batchesSinceSplit: 1 });
    expect(grownBatchSize(m, 398).size).toBe(399);
    expect(grownBatchSize(m, 399).size).toBe(399);
  });

  test("does not shrink a committed size that is above the ceiling", () => {
    expect(grownBatchSize(migration({ sizeCeiling: 400, batchesSinceSplit: 1 }), 500).size).toBe(500);
  });

  test("a ceiling above batchSize still leaves batchSize the cap", () => {
    expect(grownBatchSize(migration({ batchSize: 300, sizeCeiling: 1_000, batchesSinceSplit: 1 }), 250).size).toBe(300);
  });

  test(`the ceiling is kept for ${CEILING_MEMORY_BATCHES} committed batches, then forgotten`, () => {
    const kept = migration({ sizeCeiling: 400, batchesSinceSplit: CEILING_MEMORY_BATCHES - 2 });
    expect(grownBatchSize(kept, 300)).toEqual({ size: 350, ceiling: 400 });
    const forgotten = migration({ sizeCeiling: 400, batchesSinceSplit: CEILING_MEMORY_BATCHES - 1 });
    expect(grownBatchSize(forgotten, 300)).toEqual({ size: 600, ceiling: undefined });
  });
});

describe("splitPatch", () => {
  test("halves the failed size and remembers it as the ceiling", () => {
    expect(splitPatch(migration({ splits: 2, batchesSinceSplit: 7 }), 100, limitError)).toEqual({
      currentBatchSize: 50,
      sizeCeiling: 100,
      batchesSinceSplit: 0,
      splits: 3,
      lastError: limitError,
    });
  });

  test("rounds down, but not below 1", () => {
    expect(splitPatch(migration({}), 3, limitError)?.currentBatchSize).toBe(1);
    expect(splitPatch(migration({}), 2, limitError)?.currentBatchSize).toBe(1);
  });

  test("a batch of one document cannot be split", () => {
    expect(splitPatch(migration({}), 1, limitError)).toBeNull();
  });

  test("falls back to the last size that committed, if it was smaller but above half", () => {
    expect(splitPatch(migration({ lastGoodSize: 80 }), 100, limitError)?.currentBatchSize).toBe(80);
    // Below half, half is the better guess.
    expect(splitPatch(migration({ lastGoodSize: 20 }), 100, limitError)?.currentBatchSize).toBe(50);
  });

  test("ignores a last good size that is not smaller than the failed one", () => {
    expect(splitPatch(migration({ lastGoodSize: 100 }), 100, limitError)?.currentBatchSize).toBe(50);
    expect(splitPatch(migration({ lastGoodSize: 150 }), 100, limitError)?.currentBatchSize).toBe(50);
  });
});

describe("growing and splitting together", () => {
  /**
   * Runs batches against a table where a batch over `limit` documents hits a transaction limit,
   * applying the decisions as the batch and failure handlers do. Returns the sizes tried.
   */
  function run(batchSize: number, limit: number, batches: number): number[] {
    let m = migration({ batchSize });
    let size = batchSize;
    const tried: number[] = [];
    for (let i = 0; i < batches; i++) {
      tried.push(size);
      if (size > limit) {
        const split = splitPatch(m, size, limitError)!;
        m = { ...m, ...split };
        size = split.currentBatchSize;
      } else {
        const next = grownBatchSize(m, size);
        m = { ...m, sizeCeiling: next.ceiling, lastGoodSize: size, batchesSinceSplit: m.batchesSinceSplit + 1 };
        size = next.size;
      }
    }
    return tried;
  }

  test("homes in on the largest size under the limit", () => {
    const tried = run(1_000, 700, 20);
    expect(tried.slice(0, 8)).toEqual([1_000, 500, 750, 500, 625, 687, 718, 687]);
    expect(tried.at(-1)).toBe(700);
    expect(tried.filter((s) => s > 700).length).toBeLessThanOrEqual(6);
  });

  test("probes upward again once the ceiling is forgotten, and falls back to the last good size", () => {
    const tried = run(1_000, 700, 38);
    const lastSplit = tried.indexOf(701);
    const settled = Array<number>(CEILING_MEMORY_BATCHES).fill(700);
    expect(tried.slice(lastSplit + 1)).toEqual([...settled, 1_000, 700, 850, 700]);
  });
});
