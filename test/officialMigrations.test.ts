/**
 * Acceptance: the official @convex-dev/migrations README's examples (test/officialMigrations/,
 * import paths changed only) run on convex-jobs, called as that README calls them.
 */
import { convexTest } from "convex-test";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { runToCompletion, type MigrationStatus } from "../src/client/index.js";
import { register } from "../src/test.js";
import { components, internal } from "./officialMigrations/_generated/api.js";
import { migrations } from "./officialMigrations/migrations.js";
import schema from "./officialMigrations/schema.js";

const modules = import.meta.glob("./officialMigrations/**/*.ts");
await Promise.all([...Object.values(modules), ...Object.values(import.meta.glob(["../src/component/**/*.ts", "!../src/component/**/*.test.ts"]))].map((load) => load()));

function setup() {
  const t = convexTest({ schema, modules });
  register(t, "migrations");
  return t;
}
async function seed(t: ReturnType<typeof setup>, n: number) {
  await t.run(async (ctx) => {
    for (let i = 0; i < n; i++) {
      await ctx.db.insert("myTable", { requiredField: i % 4 === 0 ? "" : `r${i}`, ...(i % 2 ? { optionalField: "kept" } : {}) });
    }
  });
}
const all = (t: ReturnType<typeof setup>) => t.run((ctx) => ctx.db.query("myTable").collect());
const finish = (t: ReturnType<typeof setup>) => t.finishAllScheduledFunctions(vi.runAllTimers, 10_000);

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("the official @convex-dev/migrations README, on convex-jobs", () => {
  test("npx convex run migrations:setDefaultValue, dryRun, reset; the runner; runAll", async () => {
    const t = setup();
    await seed(t, 250);
    // npx convex run migrations:setDefaultValue '{dryRun: true}'
    await t.mutation(internal.migrations.setDefaultValue, { dryRun: true });
    expect((await all(t)).filter((d) => d.optionalField === "default")).toHaveLength(0);
    // npx convex run migrations:setDefaultValue
    await t.mutation(internal.migrations.setDefaultValue, {});
    await finish(t);
    expect((await all(t)).every((d) => d.optionalField !== undefined)).toBe(true);
    // npx convex run migrations:setDefaultValue '{reset: true}'
    await t.mutation(internal.migrations.setDefaultValue, { reset: true });
    await finish(t);
    // npx convex run migrations:run '{fn: "migrations:clearField"}'
    await t.mutation(internal.migrations.run, { fn: "migrations:clearField" });
    await finish(t);
    expect((await all(t)).every((d) => d.optionalField === undefined)).toBe(true);
    // npx convex run migrations:setDefaultValue '{next:["migrations:clearFieldParallel"]}'
    await t.mutation(internal.migrations.setDefaultValue, { reset: true, next: ["migrations:clearFieldParallel"] });
    await finish(t);
    expect((await all(t)).every((d) => d.optionalField === undefined)).toBe(true);
    // npx convex run migrations:runAll
    await t.mutation(internal.migrations.runAll, {});
    await finish(t);
    const docs = await all(t);
    expect(docs.filter((d) => d.requiredField === "<unknown>")).toHaveLength(63); // the customRange
    expect(docs.some((d) => d.requiredField === "")).toBe(false);
  });

  test("runOne, runSerially, getStatus, cancel, cancelAll from code", async () => {
    const t = setup();
    await seed(t, 300);
    await t.run((ctx) => migrations.runOne(ctx, internal.migrations.clearFieldSmallBatches, { batchSize: 1 }));
    vi.advanceTimersToNextTimer();
    await t.finishInProgressScheduledFunctions();
    await t.run((ctx) => migrations.cancel(ctx, internal.migrations.clearFieldSmallBatches));
    await t.run((ctx) =>
      migrations.runSerially(ctx, [internal.migrations.setDefaultValue, internal.migrations.validateRequiredField]),
    );
    await t.run((ctx) => migrations.cancelAll(ctx));
    await t.run((ctx) => migrations.runSerially(ctx, [internal.migrations.setDefaultValue, internal.migrations.validateRequiredField]));
    await finish(t);
    const status: MigrationStatus[] = await t.run((ctx) => migrations.getStatus(ctx, { limit: 10 }));
    expect(status.map((s) => [s.name, s.state])).toEqual([
      ["migrations:validateRequiredField", "done"],
      ["migrations:setDefaultValue", "done"],
      ["migrations:clearFieldSmallBatches", "canceled"],
    ]);
    const named: MigrationStatus[] = await t.run((ctx) =>
      migrations.getStatus(ctx, { migrations: [internal.migrations.setDefaultValue, internal.migrations.validateRequiredField] }),
    );
    expect(named.map((s) => s.processed)).toEqual([300, 75]);
  });

  test("runToCompletion: from an action, and in a test as the README writes it", async () => {
    const t = setup();
    await seed(t, 120);
    await t.action(internal.example.myAction, {});
    expect((await all(t)).every((d) => d.optionalField !== undefined)).toBe(true);

    await t.run(async (ctx) => {
      await ctx.db.insert("myTable", { requiredField: "x", optionalField: undefined });
      const migrationToTest = internal.migrations.setDefaultValue;
      await runToCompletion(ctx, components.migrations, migrationToTest, { cursor: null });
      const docs = await ctx.db.query("myTable").collect();
      expect(docs.every((doc) => doc.optionalField !== undefined)).toBe(true);
    });
  });
});
