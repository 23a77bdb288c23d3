/** The same jobs as our bench app: one definition, in bench/convex/jobs.ts. */
export { actionJob, rowCount, writeRow } from "../convex/jobs.js";
