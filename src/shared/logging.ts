/** A tiny leveled logger: the component logs through it so apps can quiet or raise it per pool. */
import type { LogLevel } from "./validators.js";

const ORDER: Record<LogLevel, number> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 };

export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  /**
   * A structured event for log pipelines, at INFO level: one line of JSON,
   * `{"event":"convex-jobs:<name>", ...fields}`, with nothing before it so it parses as is.
   */
  event(name: string, fields: Record<string, unknown>): void;
}

/** Every structured event's name starts with this. */
export const EVENT_PREFIX = "convex-jobs:";

/** Whether a logger at `level` prints messages of level `l`. */
export function logs(level: LogLevel, l: LogLevel): boolean {
  return ORDER[l] >= ORDER[level];
}

/** Returns a logger that prints messages at `level` or above, prefixed with `prefix` (not events). */
export function createLogger(level: LogLevel = "WARN", prefix = "[convex-jobs]"): Logger {
  const at = (l: LogLevel, print: (...a: unknown[]) => void) =>
    logs(level, l) ? (...a: unknown[]) => print(prefix, ...a) : () => {};
  return {
    debug: at("DEBUG", console.debug),
    info: at("INFO", console.info),
    warn: at("WARN", console.warn),
    error: at("ERROR", console.error),
    event: logs(level, "INFO")
      ? (name, fields) => console.info(JSON.stringify({ event: EVENT_PREFIX + name, ...fields }))
      : () => {},
  };
}
