/** Helpers shared by the compat entry points (`convex-jobs/workpool`, `convex-jobs/action-retrier`). */
import { v, type Infer } from "convex/values";
import { checkOneOf } from "../../shared/validate.js";
import type { LogLevel } from "../../shared/validators.js";
import type { JobStatus } from "../pool/types.js";

/** The official workpool's log levels. */
export const vOfficialLogLevel = v.union(
  v.literal("DEBUG"),
  v.literal("TRACE"),
  v.literal("INFO"),
  v.literal("REPORT"),
  v.literal("WARN"),
  v.literal("ERROR"),
);
export type OfficialLogLevel = Infer<typeof vOfficialLogLevel>;

const OFFICIAL_LEVELS: readonly OfficialLogLevel[] = ["DEBUG", "TRACE", "INFO", "REPORT", "WARN", "ERROR"];

/**
 * An official log level as ours: "TRACE" is "DEBUG"; "REPORT" (the official default: warnings,
 * errors and a periodic report) is "WARN", our default, because our report is printed at "INFO"
 * together with per-job events, which "REPORT" does not print.
 */
export function toOurLevel(level: OfficialLogLevel | undefined, where: string): LogLevel | undefined {
  checkOneOf(level, OFFICIAL_LEVELS, "logLevel", where);
  if (level === "TRACE") return "DEBUG";
  if (level === "REPORT") return "WARN";
  return level;
}

/** Maps our status (or `null`: unknown or cleaned up) through one function per state. */
export function statusOf<T>(
  s: JobStatus | null,
  to: { pending: (attempt: number) => T; running: (attempt: number) => T; finished: (s: Extract<JobStatus, { state: "finished" }> | null) => T },
): T {
  if (s === null) return to.finished(null);
  switch (s.state) {
    case "pending":
      return to.pending(s.attempt);
    case "running":
      return to.running(s.attempt);
    case "finished":
      return to.finished(s);
  }
}
