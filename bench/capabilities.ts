/**
 * Which optional client features this checkout has, asked at runtime rather than through types,
 * so that the benchmark and the demo compile and run on a branch without them and switch them on
 * when they land: dedupe/debounce (the enqueue options `dedupe` and `debounce`) are being built on
 * a branch of their own.
 */
import { ENQUEUE_OPTION_KEYS } from "../src/client/pool/options.js";
import type { Capability } from "./workloads.js";

/** Whether `Workpool` enqueues accept the option this capability is about. */
export function hasCapability(c: Capability | "debounce"): boolean {
  return (ENQUEUE_OPTION_KEYS as readonly string[]).includes(c);
}

/** The note printed for a workload skipped because the client lacks `c`. */
export function missingNote(c: Capability): string {
  return `needs the \`${c}\` enqueue option, which this client does not have yet`;
}
