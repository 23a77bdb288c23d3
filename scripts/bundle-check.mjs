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
//      check they print no stack traces (a user's passing `npm test` must be quiet).
// What a new user meets first (the README's and guides' snippets, the test recipe run 20 times,
// the official packages' examples) is scripts/first-hour.mjs.
// Exits non-zero on the first failure. Usage: npm run bundle-check [-- --keep] (--keep leaves the
// temporary directory for inspection).
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { APP_COMPILER_OPTIONS } from "./check-readme.mjs";
import { convexCli, repoRoot } from "./convex-cli.mjs";
import { install, pack, run, vitest } from "./lib/installed-app.mjs";

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
  const packed = pack(tmp);
  ok(packed.summary);
  return packed;
}

function step2Install(tarball, pkg) {
  cpSync(path.join(repoRoot, "example/convex"), path.join(app, "convex"), { recursive: true });
  cpSync(path.join(repoRoot, "example/tests"), path.join(app, "tests"), { recursive: true });
  const linked = install(app, tarball, pkg);
  ok(`installed the tarball into a copy of example/ (linked: ${linked.join(", ")})`);
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

function step6Tests() {
  // The example's scale tests are slow on a loaded machine: the repository's own timeout
  // (vitest.config.ts), not vitest's 5 s default. The README recipe (step 8) keeps the default.
  vitest(app, ["--testTimeout", "60000"]);
  ok("example tests pass against the installed package (convex-jobs/test from dist), printing no stack traces");
}

try {
  const { tarball, pkg } = step1Pack();
  step2Install(tarball, pkg);
  step3Typecheck();
  const bundle = step4Bundle();
  await step5Analyze(bundle);
  step6Tests();
  console.log(`\nbundle-check: PASSED\n${summary.map((s) => `  - ${s}`).join("\n")}`);
} catch (e) {
  console.error(`\nbundle-check: FAILED: ${e.message}`);
  process.exitCode = 1;
} finally {
  if (keep) console.log(`bundle-check: kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
