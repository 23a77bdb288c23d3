/**
 * Helpers for testing an app that uses convex-jobs with convex-test:
 * ```ts
 * import { register, withClock } from "convex-jobs/test";
 * const modules = import.meta.glob("./**\/*.ts");
 * test("...", () => withClock(async (clock) => {
 *   const t = convexTest(schema, modules);
 *   register(t, { modules }); // mounted as "jobs"
 *   ...
 * }));
 * ```
 */
import type { TestConvex } from "convex-test";
import type { GenericSchema, SchemaDefinition } from "convex/server";
import schema from "./component/schema.js";
import { preloadModules, trackModules, type ModuleMap } from "./testing/modules.js";

export { installClock, withClock, type Clock, type ClockOptions } from "./testing/clock.js";
export { preloadModules, type ModuleMap } from "./testing/modules.js";

// Only vite (vitest) understands this glob: the build replaces it in dist/test.js with a static
// map of the built modules (see tsup.config.ts), so the published helper needs no vite transform.
const modules = import.meta.glob(["./component/**/*.ts", "!./component/**/*.test.ts"]);

/** Options for `register(t, options)`. */
export interface RegisterOptions {
  /** The name the app mounts the component under (`app.use(jobs, { name })`). Default "jobs". */
  name?: string;
  /**
   * Your app's module map, the one you passed to `convexTest`. Its modules start loading at once
   * (`convex.config.*`, test files and `.d.ts` files are skipped), and the fake clock waits for
   * them before it moves time, so a first import is never mistaken for idle time.
   */
  modules?: ModuleMap;
}

/**
 * Registers the convex-jobs component in a convex-test instance. The component's modules start
 * loading at once, and every load of them is tracked, so `installClock()`/`withClock()` never
 * moves time while one is in flight.
 * @param t the convexTest instance
 * @param options `{ name?, modules? }` (see `RegisterOptions`), or the mount name alone
 */
export function register(
  t: TestConvex<SchemaDefinition<GenericSchema, boolean>>,
  options: string | RegisterOptions = {},
): void {
  const { name = "jobs", modules: appModules } = typeof options === "string" ? { name: options } : options;
  t.registerComponent(name, schema, trackModules(modules));
  void preloadModules(modules);
  if (appModules) void preloadModules(appModules);
}

export default { register, schema, modules };
