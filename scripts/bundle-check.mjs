// Offline check that the published package works in a Convex app, as close to a user's install
// and deploy as this machine allows, with no Convex deployment (step 4 writes the push request
// and sends nothing):
//   1. build, `npm pack`, and check the tarball (every `exports` target present, no tests);
//   2. install the tarball into a temporary copy of example/ (its convex/ functions dir), linking
//      only the package's declared dependencies and peers, so an undeclared import fails;
//   3. typecheck that app against the packed `.d.ts` (no tsconfig paths to src);
//   4. run the real Convex CLI's deploy bundling (`--write-push-request`: nothing is sent) and
//      check the push request lists the app's modules and the component with its modules;
//   5. evaluate every bundled function module in Node, as the backend's analyze step would, and
//      check the pool's enqueue/dispatch/worker modules register Convex functions;
//   6. run the example's tests against the installed package (`convex-jobs/test` from dist), and
//      check they print no stack traces (a user's passing `npm test` must be quiet);
//   7. typecheck every ```ts block of README.md against the installed package, written as the
//      files of a fresh app (check-readme.mjs);
//   8. copy the README's test recipe, verbatim, into that app (the README's own example code)
//      and run it 20 times in a row.
// Exits non-zero on the first failure. Usage: npm run bundle-check [-- --keep] (--keep leaves the
// temporary directory for inspection).
import { execFileSync, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { APP_COMPILER_OPTIONS, textProblems, typecheckSnippets } from "./check-readme.mjs";
import { convexCli, repoRoot } from "./convex-cli.mjs";
import { testRecipe } from "./readme-snippets.mjs";

const keep = process.argv.includes("--keep");
const tmp = mkdtempSync(path.join(os.tmpdir(), "convex-jobs-bundle-check-"));
const app = path.join(tmp, "app");
const summary = [];

/** Records a passed check for the closing summary. */
function ok(line) {
  summary.push(line);
  console.log(`bundle-check: ok: ${line}`);
}

function fail(message) {
  throw new Error(message);
}

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { stdio: "inherit", ...opts });
  if (res.status !== 0) fail(`${cmd} ${args.join(" ")} failed with exit code ${res.status}`);
}

/** Files under `dir`, as sorted posix paths relative to it. */
function listFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)).split(path.sep).join("/"))
    .sort();
}

/** What the Convex CLI treats as a function module: not _generated/, not schema, no second dot. */
function isFunctionModule(rel) {
  const base = path.posix.basename(rel);
  return (
    /\.(ts|js)$/.test(base) &&
    !rel.split("/").includes("_generated") &&
    base.split(".").length === 2 &&
    !/^schema\.|^convex\.config\./.test(base)
  );
}

const toJs = (rel) => rel.replace(/\.ts$/, ".js");

function step1Pack() {
  run("npm", ["run", "build"], { cwd: repoRoot });
  const out = execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", tmp], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  const [info] = JSON.parse(out);
  const files = new Set(info.files.map((f) => f.path));
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8"));
  const targets = Object.values(pkg.exports).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t)));
  const missing = targets.map((t) => t.replace(/^\.\//, "")).filter((t) => !files.has(t));
  if (missing.length) fail(`tarball lacks exports targets: ${missing.join(", ")}`);
  const stray = [...files].filter((f) => /\.test\.|(^|\/)node_modules\/|^bench\/|^example\//.test(f));
  if (stray.length) fail(`tarball holds files users never need: ${stray.join(", ")}`);
  ok(`packed ${info.filename}: ${info.entryCount} files, ${(info.size / 1024).toFixed(1)} KiB, all ${targets.length} exports targets present`);
  return { tarball: path.join(tmp, info.filename), pkg };
}

function step2Install(tarball, pkg) {
  const modules = path.join(app, "node_modules");
  mkdirSync(modules, { recursive: true });
  cpSync(path.join(repoRoot, "example/convex"), path.join(app, "convex"), { recursive: true });
  cpSync(path.join(repoRoot, "example/tests"), path.join(app, "tests"), { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", tmp]);
  cpSync(path.join(tmp, "package"), path.join(modules, "convex-jobs"), { recursive: true });
  rmSync(path.join(tmp, "package"), { recursive: true });
  // What npm would install next to the package: its dependencies and required peers. The app's
  // test tooling (vitest, convex-test, edge-runtime) is the user's own dev dependency.
  const optionalPeers = Object.keys(pkg.peerDependenciesMeta ?? {}).filter((p) => pkg.peerDependenciesMeta[p].optional);
  const requiredPeers = Object.keys(pkg.peerDependencies ?? {}).filter((p) => !optionalPeers.includes(p));
  const linked = [
    ...Object.keys(pkg.dependencies ?? {}),
    ...requiredPeers,
    ...optionalPeers,
    "vitest",
    "vite", // its types, for import.meta.glob in the README's test recipe
    "@edge-runtime/vm",
    "typescript",
  ];
  for (const dep of new Set(linked)) {
    const from = path.join(repoRoot, "node_modules", dep);
    if (!existsSync(from)) fail(`${dep} is not installed in ${repoRoot}/node_modules: run npm ci`);
    mkdirSync(path.dirname(path.join(modules, dep)), { recursive: true });
    symlinkSync(from, path.join(modules, dep), "dir");
  }
  writeFileSync(
    path.join(app, "package.json"),
    JSON.stringify({
      name: "convex-jobs-example",
      private: true,
      type: "module",
      dependencies: { convex: pkg.peerDependencies.convex, "convex-jobs": `file:${tarball}` },
    }),
  );
  ok(`installed the tarball into a copy of example/ (linked: ${[...new Set(linked)].join(", ")})`);
}

function step3Typecheck() {
  writeFileSync(
    path.join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { ...APP_COMPILER_OPTIONS, types: [] },
      include: ["convex"],
    }),
  );
  run(process.execPath, [path.join(app, "node_modules/typescript/bin/tsc"), "-p", app]);
  ok("example/convex typechecks against the packed .d.ts files");
}

function step4Bundle() {
  const request = path.join(tmp, "push");
  convexCli(
    [
      "deploy",
      "--url",
      "http://127.0.0.1:3210",
      "--admin-key",
      "fake",
      "--push-all-modules",
      "--write-push-request",
      request,
      "--codegen",
      "disable",
      "--typecheck",
      "disable",
      "-y",
    ],
    { cwd: app },
  );
  console.log("bundle-check: (nothing was deployed: --write-push-request only writes the request)");
  const push = JSON.parse(readFileSync(`${request}.json`, "utf8"));

  const component = (push.componentDefinitions ?? []).find((c) =>
    c.definitionPath.endsWith("node_modules/convex-jobs/dist/component"),
  );
  if (!component) {
    fail(`push request has no convex-jobs component definition (found: ${JSON.stringify(
      (push.componentDefinitions ?? []).map((c) => c.definitionPath),
    )})`);
  }
  if (!push.appDefinition.dependencies.includes(component.definitionPath)) {
    fail(`the app definition does not mount ${component.definitionPath}`);
  }
  if (component.schema?.path !== "schema.js") fail("the component definition has no schema");

  const componentPaths = component.functions.map((m) => m.path);
  const expectedComponent = [
    "pool/enqueue.js",
    "pool/dispatch.js",
    "pool/worker.js",
    ...listFiles(path.join(repoRoot, "src/component")).filter(isFunctionModule).map(toJs),
  ];
  const missingComponent = [...new Set(expectedComponent)].filter((p) => !componentPaths.includes(p));
  if (missingComponent.length) fail(`component bundle lacks modules: ${missingComponent.join(", ")}`);

  const appPaths = push.appDefinition.changedModules.map((m) => m.path);
  const expectedApp = listFiles(path.join(repoRoot, "example/convex")).filter(isFunctionModule).map(toJs);
  if (expectedApp.length === 0) fail("example/convex has no function modules");
  const missingApp = expectedApp.filter((p) => !appPaths.includes(p));
  if (missingApp.length) fail(`app bundle lacks modules: ${missingApp.join(", ")}`);

  const own = (paths) => paths.filter((p) => !p.startsWith("_deps/"));
  ok(`push request: app modules [${own(appPaths).join(", ")}]`);
  ok(`push request: component ${component.definitionPath} modules [${own(componentPaths).join(", ")}]`);
  return { push, component };
}

/**
 * Loads each bundled module in Node, as the backend's analyze step would, and returns the Convex
 * functions each one registers (helper modules legitimately register none).
 */
async function analyze(label, modules) {
  const dir = path.join(tmp, "analyze", label);
  for (const m of modules) {
    mkdirSync(path.dirname(path.join(dir, m.path)), { recursive: true });
    writeFileSync(path.join(dir, m.path), m.source);
  }
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
  const registered = {};
  for (const m of modules.filter((m) => !m.path.startsWith("_deps/"))) {
    let exports;
    try {
      exports = await import(pathToFileURL(path.join(dir, m.path)).href);
    } catch (e) {
      fail(`${label}: bundled ${m.path} throws when loaded: ${e?.stack ?? e}`);
    }
    registered[m.path] = Object.entries(exports)
      .filter(([, f]) => f?.isQuery || f?.isMutation || f?.isAction)
      .map(([name]) => name);
  }
  return registered;
}

function describe(registered) {
  const all = Object.values(registered).flat();
  return `${all.length} functions in ${Object.values(registered).filter((f) => f.length).length} modules`;
}

async function step5Analyze({ push, component }) {
  const appFns = await analyze("app", push.appDefinition.changedModules);
  const componentFns = await analyze("component", component.functions);
  for (const m of ["pool/enqueue.js", "pool/dispatch.js", "pool/worker.js"]) {
    if (!componentFns[m]?.length) fail(`component: bundled ${m} registers no Convex function`);
  }
  if (!Object.values(appFns).flat().length) fail("app: the bundled modules register no Convex function");
  ok(`bundled modules load in Node; app: ${describe(appFns)}; component: ${describe(componentFns)}`);
}

/**
 * Runs the app's vitest (with `filters`, if any) and fails unless every test passes with nothing
 * on stderr and no stack trace in the output: a passing run must be quiet.
 */
function vitest(root, filters = []) {
  writeFileSync(
    path.join(root, "vitest.config.mjs"),
    `export default { test: { environment: "edge-runtime", server: { deps: { inline: ["convex-test"] } } } };\n`,
  );
  const res = spawnSync(process.execPath, [path.join(root, "node_modules/vitest/vitest.mjs"), "run", "--root", root, ...filters], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, CI: "true", NO_COLOR: "1" },
  });
  const output = `${res.stdout}${res.stderr}`;
  process.stdout.write(output);
  if (res.status !== 0) fail(`vitest ${filters.join(" ")} failed with exit code ${res.status}`);
  const noisy = output.split("\n").filter((l) => /^stderr \||^\s+at .+:\d+:\d+\)?$/.test(l));
  if (noisy.length) fail(`the passing test run printed logs or stack traces:\n${noisy.slice(0, 10).join("\n")}`);
  return output;
}

function step6Tests() {
  // The example's scale tests are slow on a loaded machine: the repository's own timeout
  // (vitest.config.ts), not vitest's 5 s default. The README recipe (step 8) keeps the default.
  vitest(app, ["--testTimeout", "60000"]);
  ok("example tests pass against the installed package (convex-jobs/test from dist), printing no stack traces");
}

function step7Readme() {
  const problems = textProblems();
  if (problems.length) fail(`README.md:\n  ${problems.join("\n  ")}`);
  const dir = path.join(tmp, "readme-app");
  const { ok: typechecks, output, count } = typecheckSnippets({ dir, nodeModules: path.join(app, "node_modules"), fromSource: false });
  if (!typechecks) fail(`README.md snippets do not typecheck against the installed package:\n${output}`);
  ok(`all ${count} \`\`\`ts blocks of README.md typecheck against the installed package`);
  return dir;
}

/** Runs of the README's test recipe; each copy is its own test file, so each loads modules cold. */
const RECIPE_RUNS = 20;

/** Runs the README's test recipe in `readmeApp`, the app made of the README's own blocks. */
function step8Recipe(readmeApp) {
  const { file, code } = testRecipe();
  if (!file.startsWith("convex/") || !file.endsWith(".test.ts")) fail(`the test recipe is ${file}; expected convex/*.test.ts`);
  const base = file.slice(0, -".test.ts".length);
  for (let i = 1; i <= RECIPE_RUNS; i++) {
    writeFileSync(path.join(readmeApp, `${base}.run${String(i).padStart(2, "0")}.test.ts`), `${code}\n`);
  }
  const output = vitest(readmeApp, [`${base}.run`]);
  const passed = Number(/Tests\s+(\d+) passed/.exec(output)?.[1] ?? 0);
  if (passed !== RECIPE_RUNS) fail(`the README's test recipe: ${passed} of ${RECIPE_RUNS} runs passed`);
  ok(`the README's test recipe (${file}), copied verbatim into the app made of the README's blocks, passes ${RECIPE_RUNS} runs in a row, each loading modules cold`);
}

try {
  const { tarball, pkg } = step1Pack();
  step2Install(tarball, pkg);
  step3Typecheck();
  const bundle = step4Bundle();
  await step5Analyze(bundle);
  step6Tests();
  const readmeApp = step7Readme();
  step8Recipe(readmeApp);
  console.log(`\nbundle-check: PASSED\n${summary.map((s) => `  - ${s}`).join("\n")}`);
} catch (e) {
  console.error(`\nbundle-check: FAILED: ${e.message}`);
  process.exitCode = 1;
} finally {
  if (keep) console.log(`bundle-check: kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
