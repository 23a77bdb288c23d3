// The conflict model's test app: untyped references are enough (no codegen for this app).
import { anyApi } from "convex/server";
export const api = anyApi;
export const internal = anyApi;
