import { closeSync, openSync, readSync } from 'node:fs';

/**
 * A /proc or /sys file kept open and re-read from offset 0 each time: the
 * kernel regenerates the text on every read, and one pread loop is far
 * cheaper than open + fstat + read + close through fs/promises.
 */
export class ProcFile {
  private fd: number | undefined;
  private buffer = Buffer.allocUnsafe(16 * 1024);

  constructor(readonly path: string) {}

  read(): string {
    this.fd ??= openSync(this.path, 'r');
    let length = 0;
    for (;;) {
      if (length === this.buffer.length) this.buffer = Buffer.concat([this.buffer, Buffer.allocUnsafe(this.buffer.length)]);
      const n = readSync(this.fd, this.buffer, length, this.buffer.length - length, length);
      if (n === 0) break;
      length += n;
    }
    return this.buffer.toString('utf8', 0, length);
  }

  /** Like read(), but undefined when the file does not exist (a board without a thermal zone). */
  readOptional(): string | undefined {
    try {
      return this.read();
    } catch {
      return undefined;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
