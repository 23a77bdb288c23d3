/**
 * Module loading that the fake clock can see. convex-test imports a module the first time one of
 * its functions runs; that import is real I/O, which the discrete-event clock would otherwise take
 * for "nothing can progress" and answer by jumping time to the next timer (a watchdog 30 s away).
 * Every load started here is tracked, and `installClock()` waits for tracked loads before it
 * moves time.
 */

/** A module map as `import.meta.glob` returns it: path → loader. */
export type ModuleMap = Record<string, () => Promise<unknown>>;

/** Loads in flight, started through `trackModules` or `preloadModules`. */
const inFlight = new Set<Promise<unknown>>();

/** Starts `load()` and tracks it until it settles. */
function tracked<T>(load: () => Promise<T>): Promise<T> {
  const p = load();
  inFlight.add(p);
  const untrack = () => void inFlight.delete(p);
  p.then(untrack, untrack);
  return p;
}

/**
 * Whether a path in a module map is a module convex-test may run. Left out: `convex.config.*`
 * (it throws when imported outside the Convex runtime), test files and type declarations.
 */
export function isFunctionModulePath(path: string): boolean {
  const base = path.split("/").pop() ?? path;
  return !/^convex\.config\./.test(base) && !/\.(test|spec)\.[cm]?[jt]sx?$/.test(base) && !/\.d\.[cm]?ts$/.test(base);
}

/** The same module map, with every load tracked so the fake clock waits for it. */
export function trackModules<M extends ModuleMap>(modules: M): M {
  return Object.fromEntries(Object.entries(modules).map(([path, load]) => [path, () => tracked(load)])) as M;
}

/**
 * Starts loading every function module of `modules` (see `isFunctionModulePath`) and returns a
 * promise for all of them. The loads are tracked, so a fake clock installed with `installClock()`
 * does not move time until they are done, even if you never await this. A module that fails to
 * load is skipped here: convex-test reports the error when it imports the module itself.
 * @param modules your module map, as `import.meta.glob` returns it
 * @returns a promise that settles when every load has ended
 */
export async function preloadModules(modules: ModuleMap): Promise<void> {
  const loads = Object.entries(modules)
    .filter(([path]) => isFunctionModulePath(path))
    .map(([, load]) => tracked(load));
  await Promise.allSettled(loads);
}

/** Resolves once no tracked load is in flight, loads started meanwhile included. */
export async function modulesLoaded(): Promise<void> {
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
}

/** Whether any tracked load is in flight. */
export function loadsInFlight(): boolean {
  return inFlight.size > 0;
}
