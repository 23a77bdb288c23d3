/**
 * Makes `import ... from "convex-jobs"` resolve to src/ when the example app runs under tsx.
 *
 * Why a hook: tsx applies tsconfig `paths` only from the tsconfig it was started with (the root
 * one, which has no such paths; example/tsconfig.json has them), and Node's package
 * self-reference would resolve the name to dist/ (a stale or missing build). A resolve hook
 * registered with `module.register` runs before tsx's own, so the .ts file it points at is then
 * compiled by tsx as usual. Import this module before the first dynamic import of example code.
 */
import { register } from "node:module";

register(new URL("./alias-hooks.mjs", import.meta.url));
