export { Workpool, DEFAULT_POOL_NAME } from "./workpool.js";
export { onCompleteArgs } from "./validators.js";
export type * from "./types.js";
