export { Workpool } from "./workpool.js";
export { DEFAULT_POOL_NAME } from "./handle.js";
export { enqueue, enqueueBatch, type FunctionKind } from "./enqueue.js";
export { onCompleteArgs, defineOnComplete, vJobId, type OnCompleteHandlerArgs } from "./validators.js";
export type * from "./types.js";
export { PRIORITY_LEVELS, MAX_BOOST_MS, vRateLimit } from "../../shared/flow.js";
