// A new user's first hour, automated (issue 10's acceptance): the packed tarball installed into
// fresh apps, as `npm install convex-jobs` would, then:
//   1. every ```ts block of README.md and of the guides in docs/ typechecks against the installed
//      package, each document written as the files of a fresh app (check-readme.mjs);
//   2. the README's "Testing your app" recipe, copied verbatim into the README's app, passes 20
//      runs in a row (each its own test file, loading modules cold), printing no stack traces;
//   3. the official workpool, action-retrier and migrations README examples (test/seed/: import paths changed
//      only) typecheck against the installed package, and their convex-test suite passes quietly.
// Nothing is fetched: the app's other packages are linked from this repository's node_modules.
// Usage: npm run first-hour [-- --keep] (--keep leaves the temporary directory for inspection).
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { APP_COMPILER_OPTIONS, textProblems, typecheckDocuments } from "./check-readme.mjs";
import { repoRoot } from "./convex-cli.mjs";
import { install, pack, run, vitest } from "./lib/installed-app.mjs";
import { testRecipe } from "./readme-snippets.mjs";

const RECIPE_RUNS = 20;
const keep = process.argv.includes("--keep");
const tmp = mkdtempSync(path.join(os.tmpdir(), "convex-jobs-first-hour-"));
const started = Date.now();
const summary = [];

function ok(line) {
  summary.push(line);
  console.log(`first-hour: ok: ${line}`);
}

/** A fresh app with the tarball installed; returns its node_modules. */
function freshApp(name, tarball, pkg) {
  const app = path.join(tmp, name);
  mkdirSync(path.join(app, "convex"), { recursive: true });
  install(app, tarball, pkg);
  return app;
}

/** Step 1; returns the README's app (its blocks as files), where the recipe runs. */
function snippets(nodeModules) {
  const problems = textProblems();
  if (problems.length) throw new Error(`README.md:\n  ${problems.join("\n  ")}`);
  const root = path.join(tmp, "docs");
  const { failures, counts } = typecheckDocuments({ nodeModules, fromSource: false, root });
  if (failures.length) throw new Error(`against the installed package:\n${failures.join("\n")}`);
  ok(`every \`\`\`ts block typechecks against the installed package (${counts.join("; ")})`);
  return path.join(root, "README_md");
}

function recipe(readmeApp) {
  const { file, code } = testRecipe();
  if (!file.startsWith("convex/") || !file.endsWith(".test.ts")) throw new Error(`the test recipe is ${file}; expected convex/*.test.ts`);
  const base = file.slice(0, -".test.ts".length);
  for (let i = 1; i <= RECIPE_RUNS; i++) {
    writeFileSync(path.join(readmeApp, `${base}.run${String(i).padStart(2, "0")}.test.ts`), `${code}\n`);
  }
  const output = vitest(readmeApp, [`${base}.run`]);
  const passed = Number(/Tests\s+(\d+) passed/.exec(output)?.[1] ?? 0);
  if (passed !== RECIPE_RUNS) throw new Error(`the README's test recipe: ${passed} of ${RECIPE_RUNS} runs passed`);
  ok(`the README's test recipe (${file}), copied verbatim, passes ${RECIPE_RUNS} runs in a row, each loading modules cold, printing no stack traces`);
}

function seeds(app) {
  cpSync(path.join(repoRoot, "test/seed"), path.join(app, "convex"), { recursive: true });
  writeFileSync(
    path.join(app, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { ...APP_COMPILER_OPTIONS, types: ["vite/client"] }, include: ["convex"] }),
  );
  run(process.execPath, [path.join(app, "node_modules/typescript/bin/tsc"), "-p", app, "--pretty", "false"]);
  ok("the official workpool, action-retrier and migrations README examples (test/seed/, import paths changed) typecheck against the installed package");
  const output = vitest(app, ["convex/seed.test.ts"]);
  const passed = /Tests\s+(\d+) passed/.exec(output)?.[1];
  ok(`and run on it in convex-test: ${passed} tests pass, printing no stack traces`);
}

try {
  const { tarball, pkg, summary: packed } = pack(tmp);
  ok(packed);
  const docsApp = freshApp("app", tarball, pkg);
  ok("installed the tarball into a fresh app");
  recipe(snippets(path.join(docsApp, "node_modules")));
  seeds(freshApp("seed-app", tarball, pkg));
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`\nfirst-hour: PASSED in ${seconds} s\n${summary.map((s) => `  - ${s}`).join("\n")}`);
} catch (e) {
  console.error(`\nfirst-hour: FAILED: ${e.message}`);
  process.exitCode = 1;
} finally {
  if (keep) console.log(`first-hour: kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
