// The package as a user installs it, for scripts/bundle-check.mjs and scripts/first-hour.mjs:
// build and `npm pack` it, install the tarball into an app's node_modules next to only its
// declared dependencies and peers (linked from this repository's node_modules, so no network and
// no version drift), and run that app's vitest, which must pass quietly.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../convex-cli.mjs";

/** Runs a command with inherited output; throws naming it if it fails. */
export function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { stdio: "inherit", ...opts });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed with exit code ${res.status}`);
}

/**
 * Builds the package and packs it into `dir`, checking the tarball: every `exports` target in
 * it, no tests or repository-only files.
 * @returns {{ tarball: string, pkg: object, summary: string }}
 */
export function pack(dir) {
  run("npm", ["run", "build"], { cwd: repoRoot });
  const out = execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], { cwd: repoRoot, encoding: "utf8" });
  const [info] = JSON.parse(out);
  const files = new Set(info.files.map((f) => f.path));
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8"));
  const targets = Object.values(pkg.exports).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t)));
  const missing = targets.map((t) => t.replace(/^\.\//, "")).filter((t) => !files.has(t));
  if (missing.length) throw new Error(`tarball lacks exports targets: ${missing.join(", ")}`);
  const stray = [...files].filter((f) => /\.test\.|(^|\/)node_modules\/|^bench\/|^example\//.test(f));
  if (stray.length) throw new Error(`tarball holds files users never need: ${stray.join(", ")}`);
  const summary = `packed ${info.filename}: ${info.entryCount} files, ${(info.size / 1024).toFixed(1)} KiB, all ${targets.length} exports targets present`;
  return { tarball: path.join(dir, info.filename), pkg, summary };
}

/**
 * Installs `tarball` into `app`/node_modules as npm would, with the package's dependencies and
 * peers and the app's own test tooling (vitest, convex-test, edge-runtime, typescript) linked
 * from this repository, and writes the app's package.json.
 * @returns the linked package names
 */
export function install(app, tarball, pkg) {
  const modules = path.join(app, "node_modules");
  mkdirSync(modules, { recursive: true });
  const unpacked = path.join(path.dirname(tarball), "package");
  execFileSync("tar", ["-xzf", tarball, "-C", path.dirname(tarball)]);
  cpSync(unpacked, path.join(modules, "convex-jobs"), { recursive: true });
  rmSync(unpacked, { recursive: true });
  const optionalPeers = Object.keys(pkg.peerDependenciesMeta ?? {}).filter((p) => pkg.peerDependenciesMeta[p].optional);
  const requiredPeers = Object.keys(pkg.peerDependencies ?? {}).filter((p) => !optionalPeers.includes(p));
  const linked = [
    ...new Set([
      ...Object.keys(pkg.dependencies ?? {}),
      ...requiredPeers,
      ...optionalPeers,
      "vitest",
      "vite", // its types, for import.meta.glob in test files
      "@edge-runtime/vm",
      "typescript",
    ]),
  ];
  for (const dep of linked) {
    const from = path.join(repoRoot, "node_modules", dep);
    if (!existsSync(from)) throw new Error(`${dep} is not installed in ${repoRoot}/node_modules: run npm ci`);
    mkdirSync(path.dirname(path.join(modules, dep)), { recursive: true });
    symlinkSync(from, path.join(modules, dep), "dir");
  }
  writeFileSync(
    path.join(app, "package.json"),
    JSON.stringify({ name: "convex-jobs-app", private: true, type: "module", dependencies: { convex: pkg.peerDependencies.convex, "convex-jobs": `file:${tarball}` } }),
  );
  return linked;
}

/**
 * Runs the app's vitest (with `args`, e.g. file filters) as convex-test's setup says to, and
 * fails unless every test passes with nothing on stderr and no stack trace in the output: a
 * passing run must be quiet.
 * @returns the output
 */
export function vitest(root, args = []) {
  writeFileSync(
    path.join(root, "vitest.config.mjs"),
    `export default { test: { environment: "edge-runtime", server: { deps: { inline: ["convex-test"] } } } };\n`,
  );
  const res = spawnSync(process.execPath, [path.join(root, "node_modules/vitest/vitest.mjs"), "run", "--root", root, ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, CI: "true", NO_COLOR: "1" },
  });
  const output = `${res.stdout}${res.stderr}`;
  process.stdout.write(output);
  if (res.status !== 0) throw new Error(`vitest ${args.join(" ")} failed with exit code ${res.status}`);
  const noisy = output.split("\n").filter((l) => /^stderr \||^\s+at .+:\d+:\d+\)?$/.test(l));
  if (noisy.length) throw new Error(`the passing test run printed logs or stack traces:\n${noisy.slice(0, 10).join("\n")}`);
  return output;
}
