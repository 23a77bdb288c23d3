export { Workpool } from "./workpool.js";
export { onCompleteArgs } from "./validators.js";
export type * from "./types.js";
