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

const modules = import.meta.glob("./component/**/*.ts");

/**
 * @param t the convexTest instance
 * @param name the name the app mounts the component under (`app.use(jobs, { name })`), default "jobs"
 */
export function register(t: TestConvex<SchemaDefinition<GenericSchema, boolean>>, name = "jobs"): void {
  t.registerComponent(name, schema, modules);
}

export default { register, schema, modules };
