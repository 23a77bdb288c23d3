// Test app: untyped references are enough here (the example app covers generated types).
import { anyApi, componentsGeneric } from "convex/server";
import type { ComponentApi } from "../../../src/component/_generated/component.js";
export const api = anyApi;
export const internal = anyApi;
export const components = componentsGeneric() as unknown as { jobs: ComponentApi<"jobs"> };
