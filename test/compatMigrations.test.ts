/**
 * `convex-jobs/migrations` (issue 10): the official client shapes over the same migrations and
 * state as the main entry point. The official README's examples run in test/seed/; these are
 * the mappings the README does not show.
 */
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { Migrations, runToCompletion, toOfficialStatus } from "../src/client/compat/migrations.js";
import { components, internal } from "./app/_generated/api.js";
import { migrations as ours } from "./app/migrations.js";
import { setup } from "./setup.js";
import { installClock, type Clock } from "../src/test.js";

let clock: Clock;
beforeEach(async () => {
  clock = await installClock();
});
afterEach(() => clock.uninstall());

const official = new Migrations(components.jobs);

describe("convex-jobs/migrations", () => {
  test("states map: running, pending and paused are inProgress; a failure's message is `error`", async () => {
    const t = setup();
    await t.mutation(internal.migrations.seedItems, { count: 5 });
    const s = await t.run((ctx) => official.runOne(ctx, internal.migrations.unnamed));
    expect(s).toMatchObject({ name: "migrations:unnamed", state: "inProgress", isDone: false, processed: 0, batchSize: 100, next: [] });
    expect(s.latestStart).toBeGreaterThan(0);
    await t.run((ctx) => official.jobs.pause(ctx, internal.migrations.unnamed));
    expect(await t.run((ctx) => official.getStatus(ctx, { migrations: [internal.migrations.unnamed] }))).toMatchObject([{ state: "inProgress" }]);
    await t.run((ctx) => official.jobs.resume(ctx, internal.migrations.unnamed));
    await clock.drain();
    const [done] = await t.run((ctx) => official.getStatus(ctx, { migrations: ["migrations:unnamed"] }));
    expect(done).toMatchObject({ state: "success", isDone: true, processed: 5 });
    expect(done.latestEnd).toBeGreaterThanOrEqual(done.latestStart);
    // The main entry point sees the same migration, in its own shape.
    expect(await t.run((ctx) => ours.getStatus(ctx, internal.migrations.unnamed))).toMatchObject({ state: "done" });
    const failed = toOfficialStatus({ ...(await t.run((ctx) => ours.getStatus(ctx, internal.migrations.unnamed)))!, state: "failed", lastError: { kind: "migrateOne", message: "boom", at: 1 } }, "x");
    expect(failed).toMatchObject({ state: "failed", error: "boom", isDone: false });
    expect(await t.run((ctx) => official.cancel(ctx, "migrations:neverRan"))).toEqual({ name: "migrations:neverRan", processed: 0, isDone: false, state: "unknown", latestStart: 0 });
  });

  test("runOne's dryRun throws its report and writes nothing; runSerially returns the running one", async () => {
    const t = setup();
    await t.mutation(internal.migrations.seedItems, { count: 3 });
    await expect(t.run((ctx) => official.runOne(ctx, internal.migrations.unnamed, { dryRun: true }))).rejects.toThrow(
      /DRY RUN of "migrations:unnamed": 3 of 3 documents would change; rolled back/,
    );
    expect(await t.run((ctx) => official.getStatus(ctx, { migrations: [internal.migrations.unnamed] }))).toMatchObject([{ state: "unknown" }]);
    await t.run((ctx) => official.runOne(ctx, internal.migrations.unnamed));
    await clock.drain();
    const current = await t.run((ctx) => official.runSerially(ctx, [internal.migrations.unnamed, internal.migrations.tagItems]));
    expect(current).toMatchObject({ name: "migrations:tagItems", state: "inProgress" });
    await clock.drain();
    expect(await t.run((ctx) => official.runSerially(ctx, [internal.migrations.unnamed, internal.migrations.tagItems]))).toMatchObject({
      name: "migrations:tagItems",
      state: "success",
    });
  });

  test("runToCompletion returns the official status; options it cannot honour are refused by name", async () => {
    const t = setup();
    await t.mutation(internal.migrations.seedItems, { count: 3 });
    expect(await t.run((ctx) => runToCompletion(ctx, components.jobs, internal.migrations.unnamedCounted))).toMatchObject({
      name: "migrations:unnamedCounted",
      state: "success",
      isDone: true,
      processed: 3,
    });
    await expect(t.run((ctx) => runToCompletion(ctx, components.jobs, internal.migrations.unnamed, { dryRun: true } as never))).rejects.toThrow(
      /runToCompletion options: unknown option `dryRun`/,
    );
    await expect(t.run((ctx) => official.runOne(ctx, internal.migrations.unnamed, { next: [] } as never))).rejects.toThrow(/unknown option `next`/);
  });
});
