// Checks README.md as a user meets it, so it cannot rot:
//   - the first code block holds the two commands the guide requires (`npm run demo`, `npm test`);
//   - every link works from the npm page (absolute, or an anchor in the page);
//   - every ```ts block typechecks, written as a file of a fresh Convex app (a hidden schema,
//     `_generated/` files as codegen writes them, each block with its hidden preamble; see
//     scripts/readme-snippets.mjs for the marker format). The app's `_generated/api` types every
//     snippet module, so a snippet that refers to its own module through `internal` meets the same
//     type cycle (TS7022) a real app does.
// The guides in docs/ are checked the same way, one app each (their official "before" blocks,
// which import `@convex-dev/...`, are skipped).
// Usage: npm run check-readme [-- --keep]. By default `convex-jobs` resolves to src/ (fast, for CI
// and development); scripts/first-hour.mjs runs the same check against the installed tarball.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "./convex-cli.mjs";
import { readme, snippets, untaggedBlocks } from "./readme-snippets.mjs";

/**
 * The documents whose ```ts blocks are checked: the README and every guide in docs/. A guide's
 * blocks that import an official package (`@convex-dev/...`) are its "before" code, for another
 * package: they are skipped.
 */
export function documents() {
  const guides = readdirSync(path.join(repoRoot, "docs")).filter((f) => f.endsWith(".md")).sort();
  return ["README.md", ...guides.map((f) => `docs/${f}`)];
}

/** Blocks that are another package's code (a guide's "before"), not checked against ours. */
const isForeignBlock = (b) => /from "@convex-dev\//.test(b.code);

const REPO_URL = "https://github.com/convex-jobs/convex-jobs";

/** The tables the snippets use; the docs never show a schema, so the check supplies one. */
const SCHEMA = `import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  counters: defineTable({ value: v.number() }),
  items: defineTable({ input: v.string(), output: v.optional(v.number()), error: v.optional(v.string()) }),
  users: defineTable({ name: v.string(), role: v.optional(v.string()), welcomeWorkId: v.optional(v.string()) }),
  emailLog: defineTable({ userId: v.id("users"), workId: v.string(), error: v.union(v.string(), v.null()) }),
  weather: defineTable({ runId: v.string(), tempC: v.number() }),
  myTable: defineTable({ optionalField: v.optional(v.string()), requiredField: v.optional(v.string()), unionField: v.optional(v.union(v.string(), v.number())) }).index("by_requiredField", ["requiredField"]),
});
`;

/** The names the snippets mount the component under: ours, and the official packages' defaults. */
const MOUNTS = ["jobs", "emailWorkpool", "scrapeWorkpool", "actionRetrier", "migrations"];

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
    ...MOUNTS.map((m) => `  ${m}: import("convex-jobs/_generated/component.js").ComponentApi<"${m}">;`),
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
  "convex-jobs/workpool": ["src/client/compat/workpool.ts"],
  "convex-jobs/action-retrier": ["src/client/compat/actionRetrier.ts"],
  "convex-jobs/migrations": ["src/client/compat/migrations.ts"],
  "convex-jobs/migrations/test": ["src/client/compat/migrationsTest.ts"],
  "convex-jobs/convex.config.js": ["src/component/convex.config.ts"],
};

/**
 * Writes one document's snippets into a fresh app in `dir` and typechecks it.
 * @param {{ dir: string, nodeModules: string, fromSource: boolean, doc?: string }} opts
 *   `nodeModules` is linked as the app's node_modules; with `fromSource`, `convex-jobs` resolves
 *   to this repo's src/; `doc` is the document, relative to the repository (default README.md).
 * @returns {{ ok: boolean, output: string, count: number, skipped: number }}
 */
export function typecheckSnippets({ dir, nodeModules, fromSource, doc = "README.md" }) {
  const all = snippets(readFileSync(path.join(repoRoot, doc), "utf8"));
  const blocks = all.filter((b) => !isForeignBlock(b));
  const written = new Map();
  mkdirSync(path.join(dir, "convex/_generated"), { recursive: true });
  symlinkSync(nodeModules, path.join(dir, "node_modules"), "dir");
  for (const b of blocks) {
    if (written.has(b.file)) {
      throw new Error(`${doc}:${b.line}: ${b.file} is also the block at line ${written.get(b.file).line}; name one file per block`);
    }
    written.set(b.file, b);
    const header = b.preamble ? `${b.preamble}\n// --- ${doc} line ${b.line} ---\n` : "";
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
  return { ok: res.status === 0, output: docLines(res.stdout + res.stderr, written, doc), count: blocks.length, skipped: all.length - blocks.length };
}

/** Adds the document's line to each tsc error in a snippet file. */
function docLines(output, written, doc) {
  return output.replace(/^(convex\/[^(]+)\((\d+),(\d+)\)/gm, (all, file, line) => {
    const b = written.get(file);
    if (!b) return all;
    const codeLine = Number(line) - (b.preamble ? b.preamble.split("\n").length + 1 : 0);
    return codeLine >= 1 ? `${doc}:${b.line + codeLine - 1} (${all})` : `${doc} hidden preamble before line ${b.line} (${all})`;
  });
}

/**
 * Typechecks every document's ```ts blocks (README.md and docs/*.md), one fresh app each.
 * @param {{ nodeModules: string, fromSource: boolean, root: string }} opts as for
 *   `typecheckSnippets`; each document's app is a directory under `root`
 * @returns {{ failures: string[], counts: string[] }} the tsc output of each failing document,
 *   and "<doc>: n blocks (m skipped)" for each
 */
export function typecheckDocuments({ nodeModules, fromSource, root }) {
  const failures = [];
  const counts = [];
  for (const doc of documents()) {
    const dir = path.join(root, doc.replace(/\W/g, "_"));
    const { ok, output, count, skipped } = typecheckSnippets({ dir, nodeModules, fromSource, doc });
    if (!ok) failures.push(`${doc} snippets do not typecheck:\n${output}`);
    counts.push(`${doc}: ${count}${skipped ? ` (+${skipped} official "before" blocks skipped)` : ""}`);
  }
  return { failures, counts };
}

/** The whole check, from this repository's sources. Throws on the first failure. */
export function checkReadme({ keep = false } = {}) {
  const problems = [...textProblems(), ...documents().slice(1).flatMap((doc) => untaggedBlocks(readFileSync(path.join(repoRoot, doc), "utf8")).map((b) => `${doc} ${b}: tag it \`\`\`ts so it is checked`))];
  if (problems.length) throw new Error(`README.md:\n  ${problems.join("\n  ")}`);
  const root = mkdtempSync(path.join(os.tmpdir(), "convex-jobs-readme-"));
  try {
    const { failures, counts } = typecheckDocuments({ nodeModules: path.join(repoRoot, "node_modules"), fromSource: true, root });
    if (failures.length) throw new Error(failures.join("\n"));
    return counts;
  } finally {
    if (keep) console.log(`check-readme: kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const counts = checkReadme({ keep: process.argv.includes("--keep") });
    console.log(`check-readme: ok: first commands and links fine; every \`\`\`ts block typechecks (${counts.join("; ")})`);
  } catch (e) {
    console.error(`check-readme: FAILED: ${e.message}`);
    process.exitCode = 1;
  }
}
