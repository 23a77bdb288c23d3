/**
 * `convex-jobs/migrations/test`: the official `@convex-dev/migrations/test` helper on convex-jobs.
 * `register(t)` mounts the component under "migrations", the official package's default name
 * (`convex-jobs/test` defaults to "jobs"); everything else is `convex-jobs/test`'s.
 * ```ts
 * import component from "convex-jobs/migrations/test"; // was "@convex-dev/migrations/test"
 * component.register(t);
 * ```
 */
import type { TestConvex } from "convex-test";
import type { GenericSchema, SchemaDefinition } from "convex/server";
import jobsTest, { register as registerJobs, type RegisterOptions } from "../../test.js";

export { installClock, withClock, preloadModules, type Clock, type ClockOptions, type ModuleMap, type RegisterOptions } from "../../test.js";

/**
 * Registers the component in a convex-test instance, mounted as "migrations" unless named.
 * @param t the convexTest instance
 * @param name the mount name (default "migrations"), or `{ name?, modules? }` as in `convex-jobs/test`
 */
export function register(t: TestConvex<SchemaDefinition<GenericSchema, boolean>>, name: string | RegisterOptions = "migrations"): void {
  registerJobs(t, typeof name === "string" ? name : { name: "migrations", ...name });
}

export default { register, schema: jobsTest.schema, modules: jobsTest.modules };
