/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import { anyApi } from "convex/server";
import type * as counters from "../counters.js";
import type * as fanout from "../fanout.js";
import type * as flow from "../flow.js";
import type * as migrations from "../migrations.js";
import type * as weather from "../weather.js";
import type * as webhooks from "../webhooks.js";

const fullApi: ApiFromModules<{
  counters: typeof counters;
  fanout: typeof fanout;
  flow: typeof flow;
  migrations: typeof migrations;
  weather: typeof weather;
  webhooks: typeof webhooks;
}> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's public API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
export const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's internal API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = internal.myModule.myFunction;
 * ```
 */
export const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
> = anyApi as any;

import { componentsGeneric } from "convex/server";

/** The components this app mounts (`app.use(...)` in convex.config.ts). */
export const components = componentsGeneric() as unknown as {
  jobs: import("convex-jobs/_generated/component.js").ComponentApi<"jobs">;
};
