/**
 * A convex-test instance of an app with components mounted, built the way `src/test.ts` does it
 * (`t.registerComponent(name, schema, modules)`) but with explicit modules maps, for plain
 * node/tsx. Also installs the call counting (./metrics.ts).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { convexTest } from "convex-test";
import { forgetOldApps, installMetrics } from "./metrics.js";
import { loadModules } from "./modules.js";

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** One component instance to register. */
export interface ComponentMount {
  /**
   * convex-test's component path: the name the app mounts it as ("jobs"), or, for a component
   * mounted by another component, parent and child joined by "/" ("p10/batchWorker").
   */
  path: string;
  /** Its functions directory (with `schema.ts`/`schema.js` and `_generated/`), relative to the repository root. */
  dir: string;
}

/** convex-jobs mounted as "jobs", from src/ (what the demo and our bench app use). */
export const CONVEX_JOBS: ComponentMount[] = [{ path: "jobs", dir: "src/component" }];

export interface AppOptions {
  /** The app's Convex functions directory, relative to the repository root. */
  appDir: string;
  /** Enforce Convex's per-transaction limits (convex-test's `transactionLimits`). */
  transactionLimits?: boolean;
  /** The components to register. Default: convex-jobs as "jobs". */
  components?: ComponentMount[];
}

/** Imports a functions directory's schema (TypeScript source or built JavaScript). */
async function importSchema(dir: string) {
  const file = ["schema.ts", "schema.js"].map((f) => path.join(dir, f)).find((f) => existsSync(f));
  if (!file) throw new Error(`createApp: no schema.ts or schema.js in ${dir}.`);
  return (await import(pathToFileURL(file).href)).default;
}

/** Creates the test instance. Install the fake clock (./clock.ts) before calling it. */
export async function createApp({ appDir, transactionLimits = false, components = CONVEX_JOBS }: AppOptions) {
  installMetrics();
  forgetOldApps();
  const abs = (p: string) => path.join(repoRoot, p);
  const appModules = await loadModules(abs(appDir), "app");
  const t = convexTest({ schema: await importSchema(abs(appDir)), modules: appModules, transactionLimits });
  for (const c of components) {
    t.registerComponent(c.path, await importSchema(abs(c.dir)), await loadModules(abs(c.dir), c.path));
  }
  return t;
}

export type App = Awaited<ReturnType<typeof createApp>>;
