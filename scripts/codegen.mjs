// Regenerates every committed `_generated/` file offline (no deployment needed):
// the component's api/server/dataModel and the example app's. See DEVELOPING notes in README.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { convexCli, repoRoot } from "./convex-cli.mjs";

const convexJson = path.join(repoRoot, "convex.json");

function codegen(functionsDir, keep) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "codegen-"));
  const saved = keep.filter((f) => existsSync(path.join(repoRoot, f)));
  for (const f of saved) copyFileSync(path.join(repoRoot, f), path.join(tmp, path.basename(f)));
  const before = existsSync(convexJson) ? readFileSync(convexJson, "utf8") : null;
  writeFileSync(convexJson, JSON.stringify({ functions: functionsDir, codegen: { fileType: "ts" } }));
  try {
    convexCli(["codegen", "--system-udfs", "--typecheck", "disable"]);
  } finally {
    if (before === null) rmSync(convexJson);
    else writeFileSync(convexJson, before);
    for (const f of saved) copyFileSync(path.join(tmp, path.basename(f)), path.join(repoRoot, f));
    rmSync(tmp, { recursive: true, force: true });
  }
}

codegen("src/component", ["src/component/_generated/component.ts"]);
codegen("example/convex", []);
codegen("bench/convex", []); // the benchmark's own app (bench/run.ts)
codegen("bench/official", []); // the same app on the official components, for comparison
addComponents("example/convex/_generated/api.ts", { jobs: "jobs" });
console.log("codegen: done");

/**
 * Offline codegen emits no `components` export for an app; add one typed entry per mounted
 * instance, exactly what `npx convex dev` would write.
 */
function addComponents(file, mounts) {
  const full = path.join(repoRoot, file);
  const entries = Object.entries(mounts)
    .map(([name]) => `  ${name}: import("convex-jobs/_generated/component.js").ComponentApi<"${name}">;`)
    .join("\n");
  const block = `
import { componentsGeneric } from "convex/server";

/** The components this app mounts (\`app.use(...)\` in convex.config.ts). */
export const components = componentsGeneric() as unknown as {
${entries}
};
`;
  writeFileSync(full, readFileSync(full, "utf8") + block);
}
