/** A tiny leveled logger: the component logs through it so apps can quiet or raise it per pool. */
import type { LogLevel } from "./validators.js";

const ORDER: Record<LogLevel, number> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 };

export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** Returns a logger that prints messages at `level` or above, prefixed with `prefix`. */
export function createLogger(level: LogLevel = "WARN", prefix = "[convex-jobs]"): Logger {
  const at = (l: LogLevel, print: (...a: unknown[]) => void) =>
    ORDER[l] >= ORDER[level] ? (...a: unknown[]) => print(prefix, ...a) : () => {};
  return {
    debug: at("DEBUG", console.debug),
    info: at("INFO", console.info),
    warn: at("WARN", console.warn),
    error: at("ERROR", console.error),
  };
}
