export { Workpool, DEFAULT_POOL_NAME } from "./workpool.js";
export { enqueue, enqueueBatch, type FunctionKind } from "./enqueue.js";
export { onCompleteArgs, defineOnComplete, vJobId, type OnCompleteHandlerArgs } from "./validators.js";
export type * from "./types.js";
