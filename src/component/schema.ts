import { defineSchema } from "convex/server";
import { poolTables } from "./pool/tables.js";
import { migrationTables } from "./migrations/tables.js";

export default defineSchema({
  ...poolTables,
  ...migrationTables,
});
