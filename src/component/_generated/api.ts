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
import type * as migrations_batch from "../migrations/batch.js";
import type * as migrations_driver from "../migrations/driver.js";
import type * as migrations_inline from "../migrations/inline.js";
import type * as migrations_model from "../migrations/model.js";
import type * as migrations_probe from "../migrations/probe.js";
import type * as migrations_run from "../migrations/run.js";
import type * as migrations_status from "../migrations/status.js";
import type * as migrations_tables from "../migrations/tables.js";
import type * as pool_cancel from "../pool/cancel.js";
import type * as pool_config from "../pool/config.js";
import type * as pool_dedupe from "../pool/dedupe.js";
import type * as pool_dispatch from "../pool/dispatch.js";
import type * as pool_enqueue from "../pool/enqueue.js";
import type * as pool_events from "../pool/events.js";
import type * as pool_flow from "../pool/flow.js";
import type * as pool_jobs from "../pool/jobs.js";
import type * as pool_keys from "../pool/keys.js";
import type * as pool_lookup from "../pool/lookup.js";
import type * as pool_retention from "../pool/retention.js";
import type * as pool_runner from "../pool/runner.js";
import type * as pool_start from "../pool/start.js";
import type * as pool_state from "../pool/state.js";
import type * as pool_status from "../pool/status.js";
import type * as pool_tables from "../pool/tables.js";
import type * as pool_view from "../pool/view.js";
import type * as pool_wake from "../pool/wake.js";
import type * as pool_worker from "../pool/worker.js";
import type * as retries_decide from "../retries/decide.js";

const fullApi: ApiFromModules<{
  "migrations/batch": typeof migrations_batch;
  "migrations/driver": typeof migrations_driver;
  "migrations/inline": typeof migrations_inline;
  "migrations/model": typeof migrations_model;
  "migrations/probe": typeof migrations_probe;
  "migrations/run": typeof migrations_run;
  "migrations/status": typeof migrations_status;
  "migrations/tables": typeof migrations_tables;
  "pool/cancel": typeof pool_cancel;
  "pool/config": typeof pool_config;
  "pool/dedupe": typeof pool_dedupe;
  "pool/dispatch": typeof pool_dispatch;
  "pool/enqueue": typeof pool_enqueue;
  "pool/events": typeof pool_events;
  "pool/flow": typeof pool_flow;
  "pool/jobs": typeof pool_jobs;
  "pool/keys": typeof pool_keys;
  "pool/lookup": typeof pool_lookup;
  "pool/retention": typeof pool_retention;
  "pool/runner": typeof pool_runner;
  "pool/start": typeof pool_start;
  "pool/state": typeof pool_state;
  "pool/status": typeof pool_status;
  "pool/tables": typeof pool_tables;
  "pool/view": typeof pool_view;
  "pool/wake": typeof pool_wake;
  "pool/worker": typeof pool_worker;
  "retries/decide": typeof retries_decide;
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
