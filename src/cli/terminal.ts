import { waitedText } from '../ops/status';

/**
 * A status line on a terminal: one line at the bottom, redrawn in place with a spinner and the
 * time waited, that the command's ordinary lines scroll above. Only when standard output is a
 * terminal; elsewhere (a pipe, a CI log) nothing but the ordinary lines is written.
 */

/** Braille spinner frames (one per tick). */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** ANSI: carriage return and erase the whole line. */
const CLEAR = '\r\x1b[2K';

/** What a `TerminalStatus` writes to and measures with. */
export interface TerminalOutput {
  /** Writes raw text (no newline added). */
  write(text: string): void;
  /** Width of the terminal in columns; longer status lines are cut. */
  readonly columns?: number;
}

/** Options of a `TerminalStatus`. */
export interface TerminalStatusOptions {
  /**
   * Seconds since some fixed time (injected for tests).
   * @default - the monotonic clock
   */
  readonly now?: () => number;
  /**
   * Milliseconds between two redraws (0: redraw only on `set` and `line`, for tests).
   * @default 100
   */
  readonly tickMs?: number;
}

/** A status line under ordinary lines, on a terminal. */
export class TerminalStatus {
  private text?: string;
  private key?: string;
  private since = 0;
  private frame = 0;
  private timer?: ReturnType<typeof setInterval>;
  private readonly now: () => number;

  public constructor(
    private readonly out: TerminalOutput,
    private readonly options: TerminalStatusOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now() / 1000);
  }

  /** Writes an ordinary line above the status line. */
  public line(line: string): void {
    this.out.write(`${this.text !== undefined ? CLEAR : ''}${line}\n`);
    this.draw();
  }

  /** Runs `write` (e.g. a line to standard error) with the status line out of the way. */
  public around(write: () => void): void {
    if (this.text !== undefined) this.out.write(CLEAR);
    write();
    this.draw();
  }

  /**
   * Shows `text` (e.g. what is waited for) with a spinner and the time since it first showed
   * this `key`; `undefined` removes the line.
   */
  public set(status: { readonly key: string; readonly text: string } | undefined): void {
    if (status === undefined) {
      if (this.text !== undefined) this.out.write(CLEAR);
      this.text = undefined;
      this.stopTimer();
      return;
    }
    if (status.key !== this.key) {
      this.key = status.key;
      this.since = this.now();
    }
    this.text = status.text;
    this.draw();
    const tick = this.options.tickMs ?? 100;
    if (this.timer === undefined && tick > 0) {
      this.timer = setInterval(() => {
        this.frame++;
        this.draw();
      }, tick);
      this.timer.unref?.();
    }
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private draw(): void {
    if (this.text === undefined) return;
    const waited = waitedText(Math.floor(this.now() - this.since));
    let line = `${FRAMES[this.frame % FRAMES.length]} ${waited} ${this.text}`;
    // A pseudo-terminal may report 0 columns (no size set): then the usual 80.
    const width = this.out.columns !== undefined && this.out.columns > 0 ? this.out.columns : 80;
    // Cut to the width (by code points), or the terminal wraps it and \r no longer reaches it.
    const chars = [...line];
    if (chars.length > width - 1) line = `${chars.slice(0, Math.max(width - 2, 1)).join('')}…`;
    this.out.write(`${CLEAR}${line}`);
  }
}
