/** The same schema as our bench app (bench/convex/schema.ts). */
export { default } from "../convex/schema.js";
