/**
 * Migrations under wrong input (issue 9, bugs 5-7): a function that is not a migration is refused
 * and nothing it did is kept (a named migration is found without calling anything; any other
 * function is asked through the component's probe, which always rolls back); a table that does not exist is refused (with a schema) or reported (without); a
 * migrateOne returning something other than a patch fails at once, naming the document.
 */
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { components, internal } from "./app/_generated/api.js";
import { Migrations } from "../src/client/index.js";
import { migrations } from "./app/migrations.js";
import { events, setup } from "./setup.js";
import { installClock, type Clock } from "../src/test.js";

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
});
afterEach(() => clock.uninstall());

const status = (t: ReturnType<typeof setup>, fn: string) => t.run((ctx) => migrations.getStatus(ctx, fn));

describe("identifying a migration keeps nothing a non-migration does", () => {
  test("runOne on a plain mutation is refused and nothing it wrote is kept (from an action, and from a mutation that goes on)", async () => {
    const t = setup();
    await expect(t.action(internal.migrations.runFromAction, { fn: "migrations:plainMutation" })).rejects.toThrow(
      /runOne: "migrations:plainMutation" is not a migration made by migrations.define \(it was asked, and nothing it did was kept\), so it was not run/,
    );
    await expect(t.run((ctx) => migrations.dryRun(ctx, internal.migrations.plainMutation))).rejects.toThrow(/not run/);
    await expect(t.run((ctx) => migrations.runSerially(ctx, [internal.migrations.tagItems, internal.migrations.plainMutation]))).rejects.toThrow(
      /runSerially: "migrations:plainMutation" is not a migration.*Named migrations: "tagItems"/,
    );
    // A mutation that catches the refusal and commits: the probe's call still left nothing.
    await t.run(async (ctx) => {
      await expect(migrations.runOne(ctx, internal.migrations.plainMutation)).rejects.toThrow(/not a migration/);
    });
    await clock.drain();
    expect(await events(t, "plain")).toHaveLength(0);
    expect(await status(t, "migrations:tagItems")).toBeNull(); // the series was refused as a whole
  });

  test("a name that is not the export fails loudly, writing nothing", async () => {
    const t = setup();
    await t.mutation(internal.migrations.seedItems, { count: 3 });
    await expect(t.run((ctx) => migrations.runOne(ctx, internal.migrations.misnamed))).rejects.toThrow(
      /could not identify "migrations:misnamed" as a migration: .*defined with name "somethingElse" but was called as "migrations:misnamed"/,
    );
    await expect(t.run((ctx) => migrations.runOne(ctx, "migrations:noSuchExport"))).rejects.toThrow(
      /runOne: could not identify "migrations:noSuchExport" as a migration: .*Pass a migration/,
    );
    // Registered as "somethingElse", but no export has that name: its batches fail, and say so.
    await t.run((ctx) => migrations.runOne(ctx, "migrations:somethingElse"));
    await clock.drain();
    const s = (await status(t, "migrations:somethingElse"))!;
    expect(s.state).toBe("failed");
    expect(s.lastError!.message).toMatch(/somethingElse/);
    expect((await t.run((ctx) => ctx.db.query("items").collect())).some((i) => i.tag !== undefined)).toBe(false);
  });

  test("called directly, an unnamed define starts itself; what it queues with `next` is still identified", async () => {
    const t = setup();
    await t.mutation(internal.migrations.seedItems, { count: 3 });
    // Its name comes from Convex (ctx.meta) while it runs: nothing else is called to learn it.
    await expect(t.mutation(internal.migrations.unnamed, { next: ["migrations:plainMutation"] })).rejects.toThrow(
      /"migrations:plainMutation" is not a migration.*so it was not run/,
    );
    expect(await t.mutation(internal.migrations.unnamed, {})).toMatchObject({ name: "migrations:unnamed", state: "running" });
    await clock.drain();
    expect(await status(t, "migrations:unnamed")).toMatchObject({ state: "done", processed: 3 });
    expect((await t.run((ctx) => ctx.db.query("items").collect())).every((i) => i.tag === "u")).toBe(true);
    // A define whose `name` is not its export is refused when called directly too.
    await expect(t.mutation(internal.migrations.misnamed, {})).rejects.toThrow(
      /defined with name "somethingElse" but was called as "migrations:misnamed"/,
    );
    expect(await status(t, "migrations:misnamed")).toBeNull();
    expect(await events(t, "plain")).toHaveLength(0);
  });

  test("a registered migration runs to the end", async () => {
    const t = setup();
    await t.mutation(internal.migrations.seedItems, { count: 250 });
    await t.run((ctx) => migrations.runOne(ctx, internal.migrations.tagItems));
    await clock.drain();
    expect(await status(t, "migrations:tagItems")).toMatchObject({ state: "done", processed: 250, table: "items" });
    expect((await status(t, "migrations:tagItems"))!.note).toBeUndefined();
    expect((await t.run((ctx) => ctx.db.query("items").collect())).every((i) => i.tag === "t")).toBe(true);
  });
});

describe("a table that does not exist", () => {
  test("with a schema, define refuses it and names close tables", () => {
    expect(() => migrations.define({ table: "itmes" as "items", migrateOne: () => {} })).toThrow(
      /there is no table "itmes" in your schema\. Did you mean "items"\? Tables: "events", "items"/,
    );
  });

  test("without a schema, status says plainly that the table was empty", async () => {
    const t = setup();
    await t.action(internal.migrations.runFromAction, { fn: "migrations:typoTable", loose: true });
    await clock.drain();
    const s = await status(t, "migrations:typoTable");
    expect(s).toMatchObject({ state: "done", processed: 0, table: "itemz" });
    expect(s!.note).toMatch(/No documents: table "itemz".*was empty.*check the table name/);
  });
});

describe("migrateOne's return value", () => {
  for (const [fn, type] of [
    ["returnsNumber", /a number \(5\)/],
    ["returnsArray", /an array \(1 items\)/],
    ["returnsString", /a string \("tag"\)/],
  ] as const) {
    test(`${fn}: fails at once (no retries), naming the document and the type`, async () => {
      const t = setup();
      await t.mutation(internal.migrations.seedItems, { count: 5 });
      const first = (await t.run((ctx) => ctx.db.query("items").first()))!;
      await t.run((ctx) => migrations.runOne(ctx, `migrations:${fn}`));
      await clock.drain();
      const s = (await status(t, `migrations:${fn}`))!;
      expect(s).toMatchObject({ state: "failed", processed: 0, attempts: 1, lastError: { kind: "migrateOne", docId: first._id } });
      expect(s.lastError!.message).toMatch(type);
      expect(s.lastError!.message).toContain(`items document ${first._id}`);
      expect(s.lastError!.message).toMatch(/return a plain object.*or nothing/);
      expect((await t.run((ctx) => ctx.db.query("items").collect())).some((i) => i.tag !== undefined)).toBe(false);
    });
  }

  test("null means no change", async () => {
    const t = setup();
    await t.mutation(internal.migrations.seedItems, { count: 5 });
    await t.run((ctx) => migrations.runOne(ctx, internal.migrations.returnsNothing));
    await clock.drain();
    expect(await status(t, "migrations:returnsNothing")).toMatchObject({ state: "done", processed: 5 });
  });
});

describe("instances", () => {
  test("an instance that defines nothing runs another's migration; instances that disagree on its name are refused", async () => {
    const t = setup();
    await t.mutation(internal.migrations.seedItems, { count: 4 });
    const runnerOnly = new Migrations(components.jobs);
    await t.run((ctx) => runnerOnly.runOne(ctx, internal.migrations.tagItems));
    await clock.drain();
    expect(await status(t, "migrations:tagItems")).toMatchObject({ state: "done", processed: 4 });
    // A second define claiming the same function under its full name: which one is meant is unclear.
    new Migrations(components.jobs).define({ name: "migrations:tagItems", table: "items", migrateOne: () => ({ tag: "o" }) });
    await expect(t.run((ctx) => runnerOnly.runOne(ctx, internal.migrations.tagItems, { reset: true }))).rejects.toThrow(
      /other instances define "tagItems" and "migrations:tagItems", so it was not run/,
    );
    expect(await status(t, "migrations:tagItems")).toMatchObject({ state: "done", processed: 4 });
  });
});
