// ESLint (flat config): `npm run lint`, also run by .ci/run. The recommended rules of ESLint and
// typescript-eslint, without type information (so the whole tree lints in seconds), plus the one
// rule that guards a design choice: the package's own code logs through its logger.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["dist/**", "**/_generated/**", "node_modules/**", "bench/official/**/node_modules/**"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: {
        console: "readonly",
        process: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        queueMicrotask: "readonly",
        URL: "readonly",
        TextEncoder: "readonly",
        structuredClone: "readonly",
      },
    },
    rules: {
      // `any` is how Convex validators and function references are typed generically.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      eqeqeq: ["error", "smart"],
      "prefer-const": "error",
    },
  },
  {
    // test/seed is the official components' README examples as printed (import paths changed
    // only); their unused `runId` bindings are the README's, kept so the seed stays faithful.
    files: ["test/seed/**/*.ts"],
    rules: { "@typescript-eslint/no-unused-vars": "off" },
  },
  {
    // Code that ships (the component, the client, the shared pieces) logs through createLogger,
    // so an app sets the level per pool and can silence the component. Only the logger itself
    // touches `console`.
    files: ["src/**/*.ts"],
    ignores: ["src/shared/logging.ts", "**/*.test.ts"],
    rules: {
      "no-restricted-globals": [
        "error",
        {
          name: "console",
          message: "Log through createLogger (src/shared/logging.ts): apps set its level per pool.",
        },
      ],
      // Installed here only as a dependency of the official components the benchmark runs, so
      // an import would pass every local check and break for users. See CONTRIBUTING.md.
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["convex-helpers", "convex-helpers/*"],
              message: "convex-helpers is not a dependency of convex-jobs (CONTRIBUTING.md, Dependencies).",
            },
          ],
        },
      ],
    },
  },
);
