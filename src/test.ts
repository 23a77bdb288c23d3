/**
 * Registers the convex-jobs component in a convex-test instance:
 * ```ts
 * import { register } from "convex-jobs/test";
 * const t = convexTest(schema, modules); register(t); // mounted as "jobs"
 * ```
 */
import type { TestConvex } from "convex-test";
import type { GenericSchema, SchemaDefinition } from "convex/server";
import schema from "./component/schema.js";

export { installClock, type Clock } from "./testing/clock.js";

// Only vite (vitest) understands this glob: the build replaces it in dist/test.js with a static
// map of the built modules (see tsup.config.ts), so the published helper needs no vite transform.
const modules = import.meta.glob(["./component/**/*.ts", "!./component/**/*.test.ts"]);

/**
 * @param t the convexTest instance
 * @param name the name the app mounts the component under (`app.use(jobs, { name })`), default "jobs"
 */
export function register(t: TestConvex<SchemaDefinition<GenericSchema, boolean>>, name = "jobs"): void {
  t.registerComponent(name, schema, modules);
}

export default { register, schema, modules };
