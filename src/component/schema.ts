import { defineSchema } from "convex/server";
import { poolTables } from "./pool/tables.js";

export default defineSchema({
  ...poolTables,
});
