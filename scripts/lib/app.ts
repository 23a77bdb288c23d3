/**
 * A convex-test instance of an app with convex-jobs mounted as "jobs", built the way
 * `src/test.ts` does it (`t.registerComponent(name, schema, modules)`) but with explicit modules
 * maps, for plain node/tsx. Also installs the call counting (./metrics.ts).
 */
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { convexTest } from "convex-test";
import { forgetOldApps, installMetrics } from "./metrics.js";
import { loadModules } from "./modules.js";

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface AppOptions {
  /** The app's Convex functions directory, relative to the repository root. */
  appDir: string;
  /** Enforce Convex's per-transaction limits (convex-test's `transactionLimits`). */
  transactionLimits?: boolean;
}

/** Creates the test instance. Install the fake clock (./clock.ts) before calling it. */
export async function createApp({ appDir, transactionLimits = false }: AppOptions) {
  installMetrics();
  forgetOldApps();
  const abs = (p: string) => path.join(repoRoot, p);
  const appSchema = (await import(pathToFileURL(abs(`${appDir}/schema.ts`)).href)).default;
  const jobsSchema = (await import(pathToFileURL(abs("src/component/schema.ts")).href)).default;
  const appModules = await loadModules(abs(appDir), "app");
  const jobsModules = await loadModules(abs("src/component"), "jobs");
  const t = convexTest({ schema: appSchema, modules: appModules, transactionLimits });
  t.registerComponent("jobs", jobsSchema, jobsModules);
  return t;
}

export type App = Awaited<ReturnType<typeof createApp>>;
