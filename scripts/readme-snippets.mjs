// Reads README.md's TypeScript blocks and its test recipe, for scripts/check-readme.mjs (every
// block must typecheck; the guides in docs/ too) and scripts/first-hour.mjs (the recipe must pass,
// 20 runs in a row).
//
// Markers are HTML comments, invisible on GitHub and npm. Right before a ```ts block:
//   <!-- snippet: convex/items.ts -->    the block is the app file convex/items.ts
//   <!-- snippet: convex/items.ts        the same, after a hidden preamble: the imports and
//   import { v } from "convex/values";   declarations a fragment needs to compile (placed before
//   declare const ctx: MutationCtx;      the block's own code; imports may follow other code)
//   -->
//   <!-- snippet                         a preamble, the file named by the block's first line
//   ...                                  (`// convex/x.ts`), else convex/snippetN.ts
//   -->
// A ```ts block with no marker is checked as it stands. The "Testing your app" recipe sits between
// <!-- test-recipe: begin --> and <!-- test-recipe: end -->.
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./convex-cli.mjs";

/** README.md's text. */
export function readme() {
  return readFileSync(path.join(repoRoot, "README.md"), "utf8");
}

/** 1-based line number of character offset `index` in `text`. */
const lineOf = (text, index) => text.slice(0, index).split("\n").length;

// An optional marker (its body may not contain "-->"), then a ```ts block.
const BLOCK = /(?:<!--\s*snippet(?::[ \t]*(\S+))?((?:(?!-->)[\s\S])*)-->\n)?```ts\n([\s\S]*?)\n```/g;

/**
 * Every ```ts block of `text`, in order: `{ file, preamble, code, line }`, where `file` is the
 * app-relative path it is checked as and `line` is the README line of the block's first code line.
 */
export function snippets(text = readme()) {
  const out = [];
  for (const m of text.matchAll(BLOCK)) {
    const [, markerFile, preamble = "", code] = m;
    const named = /^\/\/ (convex\/\S+\.ts)\s*$/m.exec(code.split("\n")[0] ?? "")?.[1];
    out.push({
      file: markerFile ?? named ?? `convex/snippet${out.length + 1}.ts`,
      preamble: preamble.trim(),
      code,
      line: lineOf(text, m.index + m[0].indexOf("```ts\n")) + 1,
    });
  }
  return out;
}

/** Code blocks in a language close to TypeScript but not tagged `ts`, which no check would see. */
export function untaggedBlocks(text = readme()) {
  return [...text.matchAll(/^```(typescript|tsx|js|javascript)\s*$/gm)].map((m) => `line ${lineOf(text, m.index)}: ${m[1]}`);
}

/** The test recipe: `{ file, code }` of the one ```ts block between the test-recipe markers. */
export function testRecipe(text = readme()) {
  const m = /<!-- test-recipe: begin -->\n([\s\S]*?)<!-- test-recipe: end -->/.exec(text);
  if (!m) throw new Error("README.md has no <!-- test-recipe: begin --> ... <!-- test-recipe: end --> section");
  const blocks = snippets(m[1]);
  if (blocks.length !== 1) throw new Error(`the test recipe holds ${blocks.length} \`\`\`ts blocks; expected 1`);
  return { file: blocks[0].file, code: blocks[0].code };
}
