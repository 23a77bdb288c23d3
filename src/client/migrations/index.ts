export { Migrations, makeMigration, type MigrationName } from "./migrations.js";
export type * from "./types.js";
export type { StatusQuery } from "./options.js";
