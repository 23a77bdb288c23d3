export { Workpool } from "./workpool.js";
export { onCompleteArgs, vJobId } from "./validators.js";
export type * from "./types.js";
