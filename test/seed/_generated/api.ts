/**
 * `_generated/api.ts` for the seed app, as `npx convex codegen` writes it: typed from the
 * modules, with a `components` entry per mount in convex.config.ts.
 */
import type { ApiFromModules, FilterApi, FunctionReference } from "convex/server";
import { anyApi, componentsGeneric } from "convex/server";
import type { ComponentApi } from "convex-jobs/_generated/component.js";
import type * as counter from "../counter.js";
import type * as email from "../email.js";
import type * as index from "../index.js";
import type * as migrations from "../migrations.js";
import type * as scrape from "../scrape.js";
import type * as weather from "../weather.js";

const fullApi: ApiFromModules<{
  counter: typeof counter;
  email: typeof email;
  index: typeof index;
  migrations: typeof migrations;
  scrape: typeof scrape;
  weather: typeof weather;
}> = anyApi as any;

export const api: FilterApi<typeof fullApi, FunctionReference<any, "public">> = anyApi as any;
export const internal: FilterApi<typeof fullApi, FunctionReference<any, "internal">> = anyApi as any;
export const components = componentsGeneric() as unknown as {
  emailWorkpool: ComponentApi<"emailWorkpool">;
  scrapeWorkpool: ComponentApi<"scrapeWorkpool">;
  counterWorkpool: ComponentApi<"counterWorkpool">;
  actionRetrier: ComponentApi<"actionRetrier">;
  migrations: ComponentApi<"migrations">;
};
