/** Wrong calls to `Migrations`: its options, `define`, starting, steering and reading migrations. */
import { components, internal } from "../app/_generated/api.js";
import * as app from "../app/migrations.js";
import { migrations } from "../app/migrations.js";
import schema from "../app/schema.js";
import { Migrations, makeMigration } from "../../src/client/index.js";
import type { H, Row } from "./harness.js";

const make = (options: unknown) => () => new Migrations(components.jobs, options as never);
const define = (def: unknown) => () => migrations.define(def as never);
const item = { table: "items", migrateOne: () => {} };
const tag = internal.migrations.tagItems;
const seeded = async (h: H, fn: string) => {
  await h.t.mutation(internal.migrations.seedItems, { count: 2 });
  return await h.run((ctx) => migrations.runOne(ctx, fn));
};

export const migrationRows: Row[] = [
  { name: "Migrations component undefined", call: () => new Migrations(undefined as never), throws: /new Migrations: `component` is undefined.*components\.jobs/ },
  { name: "makeMigration component null", call: () => makeMigration(null as never), throws: /`component` is null/ },
  { name: "Migrations options a string", call: make("fast"), throws: /new Migrations: expected an options object, got "fast"/ },
  { name: "defaultBatchSize 0", call: make({ defaultBatchSize: 0 }), throws: /`defaultBatchSize` must be an integer from 1 to 8192, got 0/ },
  { name: "defaultBatchSize 9000", call: make({ defaultBatchSize: 9000 }), throws: /`defaultBatchSize`.*got 9000/ },
  { name: "typo defaultBatchsize", call: make({ defaultBatchsize: 5 }), throws: /unknown option `defaultBatchsize`; did you mean `defaultBatchSize`\?/ },
  { name: "batchSize on Migrations", call: make({ batchSize: 5 }), throws: /new Migrations: unknown option `batchSize`.*Allowed: .*`defaultBatchSize`/ },
  { name: "dryRunSamples -1", call: make({ dryRunSamples: -1 }), throws: /`dryRunSamples` must be an integer >= 0, got -1/ },
  { name: "Migrations retry maxAttempts 0", call: make({ retry: { maxAttempts: 0 } }), throws: /new Migrations: `retry`: `maxAttempts`/ },
  { name: "Migrations retry a number", call: make({ retry: 3 }), throws: /`retry` must be a retry policy object.*got 3/ },
  { name: "schema a string", call: make({ schema: "schema" }), throws: /`schema` must be your schema.*got "schema"/ },
  { name: "internalMutation a string", call: make({ internalMutation: "internalMutation" }), throws: /`internalMutation` must be your internalMutation builder/ },
  { name: "define with nothing", call: define(undefined), throws: /migrations\.define: `table` must be the name of one of your tables/ },
  { name: "define without table", call: define({ migrateOne: () => {} }), throws: /`table` must be the name/ },
  { name: "define table misspelled", call: define({ ...item, table: "itemz" }), throws: /there is no table "itemz" in your schema\. Did you mean "items"\?/ },
  { name: "define without migrateOne", call: define({ table: "items" }), throws: /`migrateOne` must be a function.*got undefined/ },
  { name: "define migrateOne a string", call: define({ table: "items", migrateOne: "patch" }), throws: /`migrateOne` must be a function.*got "patch"/ },
  { name: "define typo migrate", call: define({ table: "items", migrate: () => {} }), throws: /unknown option `migrate`; did you mean `migrateOne`\?/ },
  { name: "define batchSize 0", call: define({ ...item, batchSize: 0 }), throws: /`batchSize` must be an integer from 1/ },
  { name: "define batchSize 1.5", call: define({ ...item, batchSize: 1.5 }), throws: /`batchSize`.*got 1\.5/ },
  { name: "define onError ignore", call: define({ ...item, onError: "ignore" }), throws: /`onError` must be "fail" or "skip", got "ignore"/ },
  { name: "define retry maxAttempts 0", call: define({ ...item, retry: { maxAttempts: 0 } }), throws: /table "items"\): `retry`: `maxAttempts`/ },
  { name: "define retry a string", call: define({ ...item, retry: "fast" }), throws: /`retry` must be a retry policy object/ },
  { name: "define retry typo", call: define({ ...item, retry: { maxAttempt: 2 } }), throws: /did you mean `maxAttempts`\?/ },
  { name: "define name empty", call: define({ ...item, name: "" }), throws: /`name` must be the migration's export name.*got ""/ },
  { name: "define name with two colons", call: define({ ...item, name: "a:b:c" }), throws: /`name` must be the migration's export name/ },
  { name: "define name taken", call: define({ ...item, name: "tagItems" }), throws: /`name` "tagItems" is already used/ },
  { name: "define customRange not a function", call: define({ ...item, customRange: "by_n" }), throws: /`customRange` must be a function, got "by_n"/ },
  { name: "define estimateTotal a number", call: define({ ...item, estimateTotal: 5 }), throws: /`estimateTotal` must be a function, got 5/ },
  { name: "define schema table via makeMigration", call: () => makeMigration(components.jobs, { schema })({ table: "evnts" as never, migrateOne: () => {} } as never), throws: /Did you mean "events"\?/ },
  { name: "runOne a plain mutation", call: (h) => h.run((ctx) => migrations.runOne(ctx, internal.migrations.plainMutation)), throws: /runOne: "migrations:plainMutation" is not a migration made by migrations.define.*so it was not run/ },
  { name: "runOne a name without a file", call: (h) => h.run((ctx) => migrations.runOne(ctx, "tagItems")), throws: /"tagItems" is not a function name; use "file:export"/ },
  { name: "runOne undefined", call: (h) => h.run((ctx) => migrations.runOne(ctx, undefined as never)), throws: /runOne: `fn` is undefined: pass a function reference/ },
  { name: "runOne the registered function", call: (h) => h.run((ctx) => migrations.runOne(ctx, app.tagItems as never)), throws: /`fn` is a registered function.*not the function itself/ },
  { name: "runOne a misspelled export", call: (h) => h.run((ctx) => migrations.runOne(ctx, "migrations:tagItem")), throws: /runOne: could not identify "migrations:tagItem" as a migration: .*Did you mean "tagItems"\?/ },
  { name: "runOne typo rest", call: (h) => h.run((ctx) => migrations.runOne(ctx, tag, { rest: true } as never)), throws: /unknown option `rest`; did you mean `reset`\?/ },
  { name: 'runOne reset "yes"', call: (h) => h.run((ctx) => migrations.runOne(ctx, tag, { reset: "yes" as never })), throws: /`reset` must be true or false, got "yes"/ },
  { name: "runOne next a string", call: (h) => h.run((ctx) => migrations.runOne(ctx, tag, { next: "migrations:returnsNothing" as never })), throws: /`next` must be an array of migrations/ },
  { name: "runOne with no ctx", call: () => migrations.runOne(undefined as never, tag), throws: /runOne: `ctx` must be the ctx/ },
  { name: "runOne from a query", call: (h) => h.t.query(internal.bad.migrateFromQuery, {}), throws: /runOne: `ctx` cannot run mutations \(is it a query's ctx\?\)/ },
  { name: "runSerially empty", call: (h) => h.run((ctx) => migrations.runSerially(ctx, [])), throws: /runSerially: pass a non-empty list of migrations/ },
  { name: "runSerially a string", call: (h) => h.run((ctx) => migrations.runSerially(ctx, "migrations:tagItems" as never)), throws: /pass a non-empty list/ },
  { name: "runSerially typo resett", call: (h) => h.run((ctx) => migrations.runSerially(ctx, [tag], { resett: true } as never)), throws: /did you mean `reset`\?/ },
  { name: "dryRun a plain mutation", call: (h) => h.run((ctx) => migrations.dryRun(ctx, internal.migrations.plainMutation)), throws: /dryRun: "migrations:plainMutation" is not a migration/ },
  { name: "dryRun a bare name", call: (h) => h.run((ctx) => migrations.dryRun(ctx, "tagItems")), throws: /dryRun: "tagItems" is not a function name/ },
  { name: "status with a string", call: (h) => h.run((ctx) => migrations.status(ctx, "migrations:tagItems" as never)), throws: /`fns` must be an array of migrations/ },
  { name: "status with no ctx", call: () => migrations.status(undefined as never), throws: /migrations\.status: `ctx` must be the ctx/ },
  { name: "getStatus of a number", call: (h) => h.run((ctx) => migrations.getStatus(ctx, 5 as never)), throws: /getStatus: `fn` is 5, not a function reference/ },
  { name: "cancel a bare name", call: (h) => h.run((ctx) => migrations.cancel(ctx, "tagItems")), throws: /cancel: "tagItems" is not a function name/ },
  { name: "pause with no ctx", call: () => migrations.pause(undefined as never, tag), throws: /pause: `ctx` must be the ctx/ },
  { name: "resume undefined", call: (h) => h.run((ctx) => migrations.resume(ctx, undefined as never)), throws: /resume: `fn` is undefined/ },
  // The drop-in options (issue 10), checked the same way.
  { name: "migrationsLocationPrefix without colon", call: make({ migrationsLocationPrefix: "migrations" }), throws: /`migrationsLocationPrefix` must be a "file:" prefix.*got "migrations"/ },
  { name: "migrationsLocationPrefix a number", call: make({ migrationsLocationPrefix: 5 }), throws: /`migrationsLocationPrefix` must be a "file:" prefix.*got 5/ },
  { name: "typo migrationLocationPrefix", call: make({ migrationLocationPrefix: "migrations:" }), throws: /did you mean `migrationsLocationPrefix`\?/ },
  { name: 'define parallelize "yes"', call: define({ ...item, parallelize: "yes" }), throws: /`parallelize` must be true or false, got "yes"/ },
  { name: "define typo paralelize", call: define({ ...item, paralelize: true }), throws: /unknown option `paralelize`; did you mean `parallelize`\?/ },
  { name: "runOne typo batchsize", call: (h) => h.run((ctx) => migrations.runOne(ctx, tag, { batchsize: 10 } as never)), throws: /unknown option `batchsize`; did you mean `batchSize`\?/ },
  { name: "runOne batchSize 0", call: (h) => h.run((ctx) => migrations.runOne(ctx, tag, { batchSize: 0 })), throws: /runOne: `batchSize` must be an integer from 1 to 8192, got 0/ },
  { name: "runOne cursor a number", call: (h) => h.run((ctx) => migrations.runOne(ctx, tag, { cursor: 5 as never })), throws: /`cursor` must be a cursor string.*got 5/ },
  { name: 'runOne oneBatchOnly "true"', call: (h) => h.run((ctx) => migrations.runOne(ctx, tag, { oneBatchOnly: "true" as never })), throws: /`oneBatchOnly` must be true or false, got "true"/ },
  { name: "runSerially typo oneBatch", call: (h) => h.run((ctx) => migrations.runSerially(ctx, [tag], { oneBatch: true } as never)), throws: /did you mean `oneBatchOnly`\?/ },
  { name: "dryRun typo cursr", call: (h) => h.run((ctx) => migrations.dryRun(ctx, tag, { cursr: null } as never)), throws: /dryRun options: unknown option `cursr`; did you mean `cursor`\?/ },
  { name: "runToCompletion oneBatchOnly", call: (h) => h.run((ctx) => migrations.runToCompletion(ctx, tag, { oneBatchOnly: true } as never)), throws: /runToCompletion options: unknown option `oneBatchOnly`/ },
  { name: "runToCompletion a plain mutation", call: (h) => h.run((ctx) => migrations.runToCompletion(ctx, internal.migrations.plainMutation)), throws: /runToCompletion: "migrations:plainMutation" is not a migration.*so it was not run/ },
  { name: "runToCompletion from a query", call: (h) => h.run((ctx) => migrations.runToCompletion({ runQuery: ctx.runQuery } as never, tag)), throws: /runToCompletion: `ctx` cannot run mutations/ },
  { name: "cancelAll with no ctx", call: () => migrations.cancelAll(undefined as never), throws: /cancelAll: `ctx` must be the ctx/ },
  { name: "status limit 0", call: (h) => h.run((ctx) => migrations.status(ctx, { limit: 0 })), throws: /`limit` must be a positive integer, got 0/ },
  { name: "status typo limt", call: (h) => h.run((ctx) => migrations.status(ctx, { limt: 5 } as never)), throws: /unknown option `limt`; did you mean `limit`\?/ },
  { name: "runner an empty list", call: () => migrations.runner([]), throws: /migrations\.runner: the list is empty/ },
  { name: "runner a bare name", call: () => migrations.runner(["tagItems"]), throws: /migrations\.runner: "tagItems" is not a function name/ },
  { name: "direct call with another fn", call: (h) => h.t.mutation(internal.migrations.tagItems, { fn: "migrations:returnsNothing" }), throws: /This is the migration "migrations:tagItems": `fn` must be its own name/ },
  { name: "direct call next a plain mutation", call: (h) => h.t.mutation(internal.migrations.tagItems, { next: ["migrations:plainMutation"] }), throws: /"migrations:plainMutation" is not a migration.*so it was not run/ },
  { name: "migrateOne returns a number", call: (h) => seeded(h, "migrations:returnsNumber"), migration: "migrations:returnsNumber", migrationFails: /migrateOne returned a number \(5\) for items document \S+: return a plain object/ },
  { name: "migrateOne returns an array", call: (h) => seeded(h, "migrations:returnsArray"), migration: "migrations:returnsArray", migrationFails: /returned an array \(1 items\) for items document/ },
  { name: "migrateOne returns a string", call: (h) => seeded(h, "migrations:returnsString"), migration: "migrations:returnsString", migrationFails: /returned a string \("tag"\)/ },
];
