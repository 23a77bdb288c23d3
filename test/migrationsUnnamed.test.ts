/**
 * A define without `name` (the official package's form, issue 10): the migration is identified
 * by the function it is run through, its state keyed by that function's name, the same way in
 * every method, the runners and runToCompletion.
 */
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { internal } from "./app/_generated/api.js";
import { Migrations } from "../src/client/index.js";
import { migrations, prefixed } from "./app/migrations.js";
import { components } from "./app/_generated/api.js";
import { setup } from "./setup.js";
import { installClock, type Clock } from "../src/test.js";

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
});
afterEach(() => clock.uninstall());

type T = ReturnType<typeof setup>;
const tags = (t: T) => t.run(async (ctx) => (await ctx.db.query("items").collect()).map((i) => i.tag ?? null));
async function seeded(count: number): Promise<T> {
  const t = setup();
  await t.mutation(internal.migrations.seedItems, { count });
  return t;
}

describe("a migration defined without `name`", () => {
  test("runOne, getStatus, pause, resume, cancel and status all key it by its function name", async () => {
    const t = await seeded(250);
    const started = await t.run((ctx) => migrations.runOne(ctx, internal.migrations.unnamed, { batchSize: 50 }));
    expect(started).toMatchObject({ name: "migrations:unnamed", table: "items", state: "running" });
    expect(await t.run((ctx) => migrations.pause(ctx, internal.migrations.unnamed))).toMatchObject({ state: "paused" });
    // By reference or by name: one migration.
    expect(await t.run((ctx) => migrations.getStatus(ctx, "migrations:unnamed"))).toMatchObject({ state: "paused" });
    await t.run((ctx) => migrations.resume(ctx, "migrations:unnamed"));
    expect(await t.run((ctx) => migrations.cancel(ctx, internal.migrations.unnamed))).toMatchObject({ state: "canceled" });
    // Started again, it continues from its saved cursor, under the same key.
    await t.run((ctx) => migrations.runOne(ctx, internal.migrations.unnamed));
    await clock.drain();
    const [s] = await t.run((ctx) => migrations.status(ctx, [internal.migrations.unnamed]));
    expect(s).toMatchObject({ name: "migrations:unnamed", state: "done", processed: 250 });
    expect((await tags(t)).every((tag) => tag === "u")).toBe(true);
    expect((await t.run((ctx) => migrations.status(ctx))).map((x) => x.name)).toEqual(["migrations:unnamed"]);
  });

  test("the probe carries the define's own batch size, retry and estimateTotal", async () => {
    const t = await seeded(30);
    const s = await t.run((ctx) => migrations.runOne(ctx, internal.migrations.unnamedCounted));
    expect(s).toMatchObject({ name: "migrations:unnamedCounted", total: 30, batchSize: 100 });
    await clock.drain();
    expect(await t.run((ctx) => migrations.getStatus(ctx, internal.migrations.unnamedCounted))).toMatchObject({ state: "done", progress: 1 });
  });

  test("runSerially mixes named and unnamed migrations; dryRun reports without writing", async () => {
    const t = await seeded(20);
    const report = await t.run((ctx) => migrations.dryRun(ctx, internal.migrations.unnamed, { batchSize: 5 }));
    expect(report).toMatchObject({ name: "migrations:unnamed", documents: 5, changed: 5 });
    expect((await tags(t)).every((tag) => tag === null)).toBe(true);
    const all = await t.run((ctx) => migrations.runSerially(ctx, [internal.migrations.unnamed, internal.migrations.tagItems]));
    expect(all.map((x) => [x.name, x.state])).toEqual([
      ["migrations:unnamed", "running"],
      ["migrations:tagItems", "pending"],
    ]);
    await clock.drain();
    expect((await tags(t)).every((tag) => tag === "t")).toBe(true);
  });

  test("the runners: `fn` by name, a fixed series of references, `next`, and the prefix", async () => {
    const t = await seeded(10);
    // npx convex run migrations:run '{"fn":"migrations:unnamed","next":["migrations:unnamedCounted"]}'
    const started = await t.mutation(internal.migrations.run, { fn: "migrations:unnamed", next: ["migrations:unnamedCounted"] });
    expect(started.map((s: { name: string }) => s.name)).toEqual(["migrations:unnamed", "migrations:unnamedCounted"]);
    await clock.drain();
    expect((await tags(t)).every((tag) => tag === "c")).toBe(true);
    // The fixed series: both done, so a rerun is a no-op; with reset, both run again.
    const again = await t.mutation(internal.migrations.runUnnamedSeries, {});
    expect(again.map((s: { state: string }) => s.state)).toEqual(["done", "done"]);
    await t.mutation(internal.migrations.runUnnamedSeries, { reset: true });
    await clock.drain();
    expect(await t.run((ctx) => migrations.getStatus(ctx, { migrations: [internal.migrations.unnamed, internal.migrations.unnamedCounted] })))
      .toMatchObject([{ state: "done", processed: 10 }, { state: "done", processed: 10 }]);
    // An instance that defines nothing finds them too; its prefix completes short names.
    await t.mutation(internal.migrations.runPrefixed, { fn: "unnamed", reset: true });
    await clock.drain();
    expect(await t.run((ctx) => prefixed.getStatus(ctx, "unnamed"))).toMatchObject({ name: "migrations:unnamed", state: "done" });
  });

  test("runToCompletion: the free function from an action, and the method in a test", async () => {
    const t = await seeded(120);
    const done = await t.action(internal.migrations.runToEnd, { fn: "migrations:unnamed" });
    expect(done).toMatchObject({ name: "migrations:unnamed", state: "done", processed: 120 });
    const again = await t.run((ctx) => new Migrations(components.jobs).runToCompletion(ctx, internal.migrations.unnamedCounted));
    expect(again).toMatchObject({ name: "migrations:unnamedCounted", state: "done", processed: 120, total: 120 });
    expect((await tags(t)).every((tag) => tag === "c")).toBe(true);
  });

  test("when no identity can be found, the error names the fix", async () => {
    const t = await seeded(1);
    await expect(t.run((ctx) => migrations.runOne(ctx, "unnamed"))).rejects.toThrow(
      /runOne: "unnamed" is not a function name; use "file:export", e.g. "migrations:setDefaultRole" \(or set migrationsLocationPrefix\)/,
    );
    await expect(t.run((ctx) => migrations.runOne(ctx, migrations as never))).rejects.toThrow(/runOne: .*pass a function reference like internal.module.fn/);
    await expect(t.mutation(internal.migrations.run, { fn: "migrations:unamed" })).rejects.toThrow(
      /could not identify "migrations:unamed" as a migration: .*Pass a migration: the export of migrations.define/,
    );
    expect(await t.run((ctx) => migrations.status(ctx))).toEqual([]);
  });
});
