export { Migrations, makeMigration, type MigrationName } from "./migrations.js";
export type * from "./types.js";
export type { MigrationRunOptions, StatusQuery } from "./options.js";
