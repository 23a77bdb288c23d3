import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    // The example app imports the package by name, as a user would; tests run it from source.
    alias: [
      { find: /^convex-jobs\/convex\.config(\.js)?$/, replacement: src("component/convex.config.ts") },
      { find: /^convex-jobs\/workpool$/, replacement: src("client/compat/workpool.ts") },
      { find: /^convex-jobs\/action-retrier$/, replacement: src("client/compat/actionRetrier.ts") },
      { find: /^convex-jobs\/migrations$/, replacement: src("client/compat/migrations.ts") },
      { find: /^convex-jobs\/migrations\/test$/, replacement: src("client/compat/migrationsTest.ts") },
      { find: /^convex-jobs\/test$/, replacement: src("test.ts") },
      { find: /^convex-jobs$/, replacement: src("client/index.ts") },
    ],
  },
  test: {
    environment: "edge-runtime",
    server: { deps: { inline: ["convex-test"] } },
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "example/**/*.test.ts"],
    testTimeout: 60_000,
  },
});
