/** Validators for users' own functions that take retrier run ids. */
import type { VString } from "convex/values";
import { vJobId } from "../pool/validators.js";
import type { RunId } from "./retrier.js";

/**
 * Validator for a retrier run id as a function argument or a document field:
 * ```ts
 * export const runStatus = query({ args: { runId: vRunId }, handler: (ctx, { runId }) => retrier.status(ctx, runId) });
 * ```
 * At runtime it is `v.string()`; its type makes `Infer` (and the handler's args) a `RunId`, no cast.
 */
export const vRunId = vJobId as VString<RunId>;
