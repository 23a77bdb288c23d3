import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "tsup";

/**
 * One ESM file per source module (no bundling): the Convex CLI treats every file under
 * `dist/component/` as a function module, and `convex-jobs/test` loads the built component files.
 * Declarations come from `tsc -p tsconfig.build.json` (see the `build` script), one `.d.ts` per
 * module rather than bundled chunks.
 */
export default defineConfig({
  entry: ["src/**/*.ts", "!src/**/*.test.ts"],
  outDir: "dist",
  format: ["esm"],
  target: "es2022",
  bundle: false,
  dts: false,
  sourcemap: true,
  clean: true,
  splitting: false,
  treeshake: false,
  onSuccess: async () => inlineTestModules("dist/test.js", "dist/component"),
});

/**
 * `src/test.ts` finds the component's modules with `import.meta.glob`, which only vite transforms.
 * Users' vitest loads `node_modules/convex-jobs/dist/test.js` untransformed (dependencies are
 * externalized unless inlined), so the built file gets a static map of the emitted modules instead:
 * `convex-jobs/test` then works with no vitest config beyond convex-test's own, and outside vite.
 */
function inlineTestModules(testFile: string, componentDir: string): void {
  const code = readFileSync(testFile, "utf8");
  const glob = /import\.meta\.glob\(\[[^\]]*\]\)/g;
  const calls = code.match(glob) ?? [];
  if (calls.length !== 1) {
    throw new Error(`${testFile}: expected one import.meta.glob([...]) call to inline, found ${calls.length}`);
  }
  const relDir = path.relative(path.dirname(testFile), componentDir);
  const modules = listJs(componentDir)
    .map((file) => `./${path.posix.join(relDir, file)}`)
    .map((spec) => `  ${JSON.stringify(spec)}: () => import(${JSON.stringify(spec)}),`);
  writeFileSync(testFile, code.replace(glob, `{\n${modules.join("\n")}\n}`));
}

/** Every emitted `.js` module under `dir`, as sorted posix paths relative to it. */
function listJs(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((file) => file.split(path.sep).join("/"))
    .filter((file) => file.endsWith(".js"))
    .sort();
}
