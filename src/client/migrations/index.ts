export { Migrations, makeMigration, runToCompletion, type MigrationName } from "./migrations.js";
export type { RunToCompletionOptions } from "./inline.js";
export type * from "./types.js";
export type { MigrationRunOptions, StatusQuery } from "./options.js";
