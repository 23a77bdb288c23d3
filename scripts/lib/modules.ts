/**
 * Modules maps for convex-test outside vitest (where `import.meta.glob` does not exist).
 *
 * convex-test wants `{ [path]: () => Promise<module> }` with one key under `_generated/` (it takes
 * the part before `_generated` as the root and looks functions up as root + "dir/file"). We load
 * every module up front, so no real I/O happens once the simulated clock runs (see ./clock.ts),
 * and wrap each registered function's handler to report entry and exit to ./metrics.ts.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { enterFunction } from "./metrics.js";

export type ModulesMap = Record<string, () => Promise<Record<string, unknown>>>;

/** Extra per-function hooks (the demo uses them to watch jobs run). */
export type FunctionListener = (name: string, event: "enter" | "exit") => void;
const listeners: FunctionListener[] = [];

/** Calls `listener` on entry into and exit from every registered function. */
export function onFunction(listener: FunctionListener): void {
  listeners.push(listener);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    const ok = /\.(ts|js)$/.test(e.name) && !/\.d\.ts$/.test(e.name) && !/\.test\./.test(e.name);
    return ok ? [full] : [];
  });
}

type Registered = ((...a: unknown[]) => unknown) & {
  isQuery?: boolean;
  isMutation?: boolean;
  isAction?: boolean;
  _handler?: (...a: unknown[]) => unknown;
};

function wrapFunction(fn: Registered, name: string): Registered {
  const type = fn.isAction ? "action" : fn.isMutation ? "mutation" : "query";
  const inner = fn._handler!;
  const handler = async (...args: unknown[]) => {
    const exit = enterFunction(name, type);
    for (const l of listeners) l(name, "enter");
    try {
      return await inner(...args);
    } finally {
      exit();
      for (const l of listeners) l(name, "exit");
    }
  };
  return new Proxy(fn, { get: (target, key, receiver) => (key === "_handler" ? handler : Reflect.get(target, key, receiver)) });
}

/**
 * Loads every module under `dir` (a Convex functions directory with a `_generated/` folder) and
 * returns convex-test's modules map. `label` prefixes function names in the counts, e.g.
 * "jobs:pool/worker:complete".
 */
export async function loadModules(dir: string, label: string): Promise<ModulesMap> {
  const map: ModulesMap = {};
  for (const file of sourceFiles(dir)) {
    const rel = path.relative(dir, file).replace(/\\/g, "/");
    const modulePath = rel.replace(/\.[^.]+$/, "");
    if (modulePath === "convex.config") {
      // Only meaningful to the Convex CLI (evaluating it here throws); never a function module.
      map[file] = () => import(pathToFileURL(file).href);
      continue;
    }
    const loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const wrapped: Record<string, unknown> = {};
    for (const [exportName, value] of Object.entries(loaded)) {
      const fn = value as Registered;
      const isFunction = fn && (fn.isQuery || fn.isMutation || fn.isAction) && typeof fn._handler === "function";
      wrapped[exportName] = isFunction ? wrapFunction(fn, `${label}:${modulePath}:${exportName}`) : value;
    }
    map[file] = async () => wrapped;
  }
  if (!Object.keys(map).some((k) => k.includes(`${path.sep}_generated${path.sep}`))) {
    throw new Error(`loadModules: ${dir} has no _generated/ folder; run \`npm run codegen\`.`);
  }
  return map;
}
