/** The minimal context shapes the client needs, so it works from mutations, actions and queries. */
import type {
  FunctionReference,
  FunctionArgs,
  FunctionReturnType,
  FunctionVisibility,
} from "convex/server";

/** Anything that can run a query: a query, mutation or action ctx. */
export type RunQueryCtx = {
  runQuery: <Q extends FunctionReference<"query", FunctionVisibility>>(
    query: Q,
    args: FunctionArgs<Q>,
  ) => Promise<FunctionReturnType<Q>>;
};

/**
 * Anything that can run a mutation: a mutation or action ctx. Any visibility, as Convex's own
 * ctx takes: the component's functions are internal, a migration the app exports may be public.
 */
export type RunMutationCtx = RunQueryCtx & {
  runMutation: <M extends FunctionReference<"mutation", FunctionVisibility>>(
    mutation: M,
    args: FunctionArgs<M>,
  ) => Promise<FunctionReturnType<M>>;
};

/** A reference to one of the app's functions, public or internal. */
export type AnyRef<Type extends "mutation" | "action" | "query"> = FunctionReference<Type, FunctionVisibility>;
