export { Migrations, makeMigration, type MigrationName } from "./migrations.js";
export type * from "./types.js";
