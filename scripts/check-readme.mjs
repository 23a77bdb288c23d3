// Checks README.md as a user meets it, so it cannot rot:
//   - the first code block holds the two commands the guide requires (`npm run demo`, `npm test`);
//   - every link works from the npm page (absolute, or an anchor in the page);
//   - every ```ts block typechecks, written as a file of a fresh Convex app (a hidden schema,
//     `_generated/` files as codegen writes them, each block with its hidden preamble; see
//     scripts/readme-snippets.mjs for the marker format). The app's `_generated/api` types every
//     snippet module, so a snippet that refers to its own module through `internal` meets the same
//     type cycle (TS7022) a real app does.
// Usage: npm run check-readme [-- --keep]. By default `convex-jobs` resolves to src/ (fast, for CI
// and development); scripts/bundle-check.mjs calls checkReadme() against the installed tarball.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "./convex-cli.mjs";
import { readme, snippets, untaggedBlocks } from "./readme-snippets.mjs";

const REPO_URL = "https://github.com/convex-jobs/convex-jobs";

/** The tables the snippets use; the README never shows a schema, so the check supplies one. */
const SCHEMA = `import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  counters: defineTable({ value: v.number() }),
  items: defineTable({ input: v.string(), output: v.optional(v.number()), error: v.optional(v.string()) }),
  users: defineTable({ name: v.string(), role: v.optional(v.string()) }),
});
`;

/** Problems with the README's text: missing first commands, links that break on npm. */
export function textProblems(text = readme()) {
  const problems = [];
  const first = /```\w*\n([\s\S]*?)```/.exec(text)?.[1] ?? "";
  for (const cmd of ["npm run demo", "npm test"]) {
    if (!first.includes(cmd)) problems.push(`the first code block must hold \`${cmd}\``);
  }
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (!/^(https?:|mailto:|#)/.test(m[1])) {
      problems.push(`relative link ${m[1]} breaks on the npm page: use ${REPO_URL}/blob/main/${m[1]}`);
    }
  }
  for (const b of untaggedBlocks(text)) problems.push(`${b}: tag TypeScript blocks \`\`\`ts so they are checked`);
  return problems;
}

/** `_generated/api.ts` for the snippet app, typed from its function modules, as codegen writes it. */
function apiFile(files) {
  const modules = files
    .filter((f) => f.startsWith("convex/") && !/(^|\/)(schema|convex\.config)\.ts$|\.test\.ts$/.test(f))
    .map((f) => f.slice("convex/".length, -".ts".length));
  const ident = (m) => `m_${m.replace(/\W/g, "_")}`;
  return [
    `import type { ApiFromModules, FilterApi, FunctionReference } from "convex/server";`,
    `import { anyApi, componentsGeneric } from "convex/server";`,
    ...modules.map((m) => `import type * as ${ident(m)} from "../${m}.js";`),
    `const fullApi: ApiFromModules<{`,
    ...modules.map((m) => `  ${JSON.stringify(m)}: typeof ${ident(m)};`),
    `}> = anyApi as any;`,
    `export const api: FilterApi<typeof fullApi, FunctionReference<any, "public">> = anyApi as any;`,
    `export const internal: FilterApi<typeof fullApi, FunctionReference<any, "internal">> = anyApi as any;`,
    `export const components = componentsGeneric() as unknown as {`,
    `  jobs: import("convex-jobs/_generated/component.js").ComponentApi<"jobs">;`,
    `};`,
    ``,
  ].join("\n");
}

/** A user's Convex app's compiler options (as `npx convex dev` sets them up), minus `types`. */
export const APP_COMPILER_OPTIONS = {
  target: "ES2022",
  lib: ["ES2023", "DOM"],
  module: "ESNext",
  moduleResolution: "Bundler",
  strict: true,
  skipLibCheck: true,
  noEmit: true,
};

/** `convex-jobs` import paths mapped to the sources, for a check without a build. */
const SRC_PATHS = {
  "convex-jobs": ["src/client/index.ts"],
  "convex-jobs/convex.config": ["src/component/convex.config.ts"],
  "convex-jobs/_generated/component.js": ["src/component/_generated/component.ts"],
  "convex-jobs/test": ["src/test.ts"],
};

/**
 * Writes the README's snippets into a fresh app in `dir` and typechecks it.
 * @param {{ dir: string, nodeModules: string, fromSource: boolean }} opts `nodeModules` is linked
 *   as the app's node_modules; with `fromSource`, `convex-jobs` resolves to this repo's src/.
 * @returns {{ ok: boolean, output: string, count: number }}
 */
export function typecheckSnippets({ dir, nodeModules, fromSource }) {
  const blocks = snippets();
  const written = new Map();
  mkdirSync(path.join(dir, "convex/_generated"), { recursive: true });
  symlinkSync(nodeModules, path.join(dir, "node_modules"), "dir");
  for (const b of blocks) {
    if (written.has(b.file)) {
      throw new Error(`README.md:${b.line}: ${b.file} is also the block at line ${written.get(b.file).line}; name one file per block`);
    }
    written.set(b.file, b);
    const header = b.preamble ? `${b.preamble}\n// --- README.md line ${b.line} ---\n` : "";
    writeFileSync(path.join(dir, b.file), header + b.code + "\n");
  }
  if (!written.has("convex/schema.ts")) writeFileSync(path.join(dir, "convex/schema.ts"), SCHEMA);
  for (const f of ["server.ts", "dataModel.ts"]) {
    copyFileSync(path.join(repoRoot, "example/convex/_generated", f), path.join(dir, "convex/_generated", f));
  }
  writeFileSync(path.join(dir, "convex/_generated/api.ts"), apiFile([...written.keys()]));
  const paths = Object.fromEntries(Object.entries(SRC_PATHS).map(([k, v]) => [k, v.map((p) => path.join(repoRoot, p))]));
  writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        ...APP_COMPILER_OPTIONS,
        types: fromSource ? ["node", "vite/client"] : ["vite/client"],
        ...(fromSource ? { paths } : {}),
      },
      include: ["convex"],
    }),
  );
  const tsc = path.join(dir, "node_modules/typescript/bin/tsc");
  const res = spawnSync(process.execPath, [tsc, "-p", dir, "--pretty", "false"], { cwd: dir, encoding: "utf8" });
  return { ok: res.status === 0, output: readmeLines(res.stdout + res.stderr, written), count: blocks.length };
}

/** Adds the README line to each tsc error in a snippet file. */
function readmeLines(output, written) {
  return output.replace(/^(convex\/[^(]+)\((\d+),(\d+)\)/gm, (all, file, line) => {
    const b = written.get(file);
    if (!b) return all;
    const codeLine = Number(line) - (b.preamble ? b.preamble.split("\n").length + 1 : 0);
    return codeLine >= 1 ? `README.md:${b.line + codeLine - 1} (${all})` : `README.md hidden preamble before line ${b.line} (${all})`;
  });
}

/** The whole check, from this repository's sources. Throws on the first failure. */
export function checkReadme({ keep = false } = {}) {
  const problems = textProblems();
  if (problems.length) throw new Error(`README.md:\n  ${problems.join("\n  ")}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), "convex-jobs-readme-"));
  try {
    const { ok, output, count } = typecheckSnippets({ dir, nodeModules: path.join(repoRoot, "node_modules"), fromSource: true });
    if (!ok) throw new Error(`README.md snippets do not typecheck:\n${output}`);
    return count;
  } finally {
    if (keep) console.log(`check-readme: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const count = checkReadme({ keep: process.argv.includes("--keep") });
    console.log(`check-readme: ok: first commands and links fine; all ${count} \`\`\`ts blocks typecheck`);
  } catch (e) {
    console.error(`check-readme: FAILED: ${e.message}`);
    process.exitCode = 1;
  }
}
