/**
 * Progress output for the demo: one line per tracked thing, rewritten in place on a terminal,
 * printed as plain lines at intervals (of simulated time) when stdout is not a TTY (CI logs).
 */
export interface ProgressOptions {
  /** Non-TTY: print a block of lines at most once per this many simulated ms. Default 250. */
  everySimMs?: number;
  /** TTY: redraw at most once per this many real ms. Default 50. */
  everyRealMs?: number;
  /** Non-TTY: print a blank line after each block (helps multi-line blocks). Default true. */
  blankLine?: boolean;
}

export class ProgressBlock {
  private readonly tty = Boolean(process.stdout.isTTY);
  private drawn = 0;
  private lastSim = -Infinity;
  private lastReal = -Infinity;
  private readonly everySimMs: number;
  private readonly everyRealMs: number;
  private readonly blankLine: boolean;

  constructor(opts: ProgressOptions = {}) {
    this.everySimMs = opts.everySimMs ?? 250;
    this.everyRealMs = opts.everyRealMs ?? 50;
    this.blankLine = opts.blankLine ?? true;
  }

  /** Shows `lines` if it is time to (or always, with `force`). `simMs` is simulated time elapsed. */
  update(lines: string[], simMs: number, force = false): void {
    if (this.tty) {
      const now = performance.now();
      if (!force && now - this.lastReal < this.everyRealMs) return;
      this.lastReal = now;
      // Move up over the previous block and overwrite it.
      if (this.drawn) process.stdout.write(`\x1b[${this.drawn}A`);
      for (const line of lines) process.stdout.write(`\x1b[2K${line}\n`);
      this.drawn = lines.length;
      return;
    }
    if (!force && simMs - this.lastSim < this.everySimMs) return;
    this.lastSim = simMs;
    for (const line of lines) console.log(line);
    if (this.blankLine) console.log("");
  }
}

/** A text bar of `width` cells, `done` of `total` filled. */
export function bar(done: number, total: number, width = 20): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return "#".repeat(filled) + ".".repeat(width - filled);
}
