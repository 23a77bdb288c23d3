/* eslint-disable */
/**
 * The component's API as an app sees it (`components.<name>`), derived from the typed `api`:
 * public functions only, visibility "internal", `Id<...>` mapped to `string`.
 * Written by hand once; `npm run codegen` keeps it (it only regenerates api/server/dataModel).
 * @module
 */
import type { FunctionReference } from "convex/server";
import type { GenericId } from "convex/values";
import type { api } from "./api.js";

type Stringified<T> =
  T extends GenericId<any>
    ? string
    : T extends Array<infer U>
      ? Array<Stringified<U>>
      : T extends Record<string, any>
        ? { [K in keyof T]: Stringified<T[K]> }
        : T;

type Expose<API, Name extends string | undefined> = {
  [K in keyof API]: API[K] extends FunctionReference<infer Type, "public", infer Args, infer Returns, any>
    ? FunctionReference<Type, "internal", Stringified<Args>, Stringified<Returns>, Name>
    : Expose<API[K], Name>;
};

/** The type of `components.jobs` (or whatever name the component was mounted under). */
export type ComponentApi<Name extends string | undefined = string | undefined> = Expose<typeof api, Name>;
