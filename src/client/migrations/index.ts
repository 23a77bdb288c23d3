export { Migrations, type MigrationName } from "./migrations.js";
export { makeMigration, runToCompletion } from "./free.js";
export type { RunToCompletionOptions } from "./inline.js";
export type * from "./types.js";
export type { MigrationRunOptions, StatusQuery } from "./options.js";
