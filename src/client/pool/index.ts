export { Workpool, DEFAULT_POOL_NAME } from "./workpool.js";
export { onCompleteArgs, defineOnComplete, type OnCompleteHandlerArgs } from "./validators.js";
export type * from "./types.js";
