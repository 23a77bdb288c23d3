// An app written from the official @convex-dev/migrations README; untyped references suffice.
import { anyApi, componentsGeneric } from "convex/server";
import type { ComponentApi } from "../../../src/component/_generated/component.js";
export const api = anyApi;
export const internal = anyApi;
/** Mounted as `app.use(jobs, { name: "migrations" })`, so the README's `components.migrations` works. */
export const components = componentsGeneric() as unknown as { migrations: ComponentApi<"migrations"> };
