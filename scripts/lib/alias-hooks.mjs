// Node module-resolution hook (registered by ./alias.ts): resolves the package's own name,
// `convex-jobs` and its subpath exports, to the TypeScript sources in src/, so the example app
// runs under tsx exactly as written (it imports the package by name, as a user's app does).
const root = new URL("../../", import.meta.url);
const targets = {
  "convex-jobs": "src/client/index.ts",
  "convex-jobs/convex.config": "src/component/convex.config.ts",
  "convex-jobs/convex.config.js": "src/component/convex.config.ts",
  "convex-jobs/_generated/component.js": "src/component/_generated/component.ts",
  "convex-jobs/test": "src/test.ts",
};

export async function resolve(specifier, context, nextResolve) {
  const target = targets[specifier];
  return nextResolve(target ? new URL(target, root).href : specifier, context);
}
