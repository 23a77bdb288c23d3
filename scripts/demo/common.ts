/** Pieces more than one demo section uses. */
import { anyApi } from "convex/server";

/**
 * References to the example app's functions. `anyApi` rather than the example's generated `api`,
 * because importing that would pull the example into this package's typecheck, where the
 * `convex-jobs` name does not resolve (example/tsconfig.json maps it; `npm run typecheck` checks
 * the example on its own).
 */
export const api = anyApi;

/** A pool's counts, as the example's `stats` queries return them. */
export type Counts = { pending: number; running: number; succeeded: number; failed: number; canceled: number };

/** Milliseconds as seconds with two decimals, e.g. "1.25s". */
export const secs = (ms: number) => `${(ms / 1000).toFixed(2)}s`;
