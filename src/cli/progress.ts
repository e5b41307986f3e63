/**
 * A one-line progress display on a TTY (stderr): redrawn in place, cleared before anything else
 * is written through `write`. Off the TTY (CI, pipes) it shows nothing, so logs stay clean.
 */
export class ProgressLine {
  private text = "";
  private frame = 0;
  private readonly stream: NodeJS.WriteStream;
  readonly enabled: boolean;

  constructor(stream: NodeJS.WriteStream = process.stderr, enabled = stream.isTTY === true) {
    this.stream = stream;
    this.enabled = enabled;
  }

  /** Shows `text` (with a spinner) in place of the previous line. */
  update(text: string): void {
    if (!this.enabled) return;
    const spinner = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"[this.frame++ % 10];
    const width = Math.max(20, (this.stream.columns || 100) - 1);
    const line = `${spinner} ${text}`;
    this.text = line.length > width ? `${line.slice(0, width - 1)}…` : line;
    this.stream.write(`\r\x1b[K${this.text}`);
  }

  /** Writes other output (a log line) above the progress line. */
  write(chunk: string | Uint8Array): boolean {
    if (!this.enabled || !this.text) return this.stream.write(chunk);
    this.stream.write("\r\x1b[K");
    const ok = this.stream.write(chunk);
    this.stream.write(this.text);
    return ok;
  }

  /** Removes the progress line (before the final message). */
  clear(): void {
    if (this.enabled && this.text) this.stream.write("\r\x1b[K");
    this.text = "";
  }
}

/** Runs `work` with a ticking progress line (`text`, elapsed time) on a TTY; nothing elsewhere. */
export async function withProgress<T>(
  text: string,
  work: () => Promise<T>,
  line = new ProgressLine(),
): Promise<T> {
  if (!line.enabled) return work();
  const started = Date.now();
  const show = () => line.update(`${text} ${((Date.now() - started) / 1000).toFixed(1)}s`);
  show();
  const timer = setInterval(show, 100);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    line.clear();
  }
}
