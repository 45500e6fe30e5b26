import { openSync, readSync } from 'node:fs';

const RECHECK_MISSING_MS = 60_000;

/**
 * A /proc or /sys file kept open and re-read from offset 0 each time: the
 * kernel regenerates the text on every read, and one pread loop is far
 * cheaper than open + fstat + read + close through fs/promises.
 */
export class ProcFile {
  private fd: number | undefined;
  private buffer = Buffer.allocUnsafe(16 * 1024);
  private missingAt: number | undefined;

  constructor(readonly path: string) {}

  read(): string {
    this.fd ??= openSync(this.path, 'r');
    let length = 0;
    for (;;) {
      if (length === this.buffer.length) this.buffer = Buffer.concat([this.buffer, Buffer.allocUnsafe(this.buffer.length)]);
      const room = this.buffer.length - length;
      const n = readSync(this.fd, this.buffer, length, room, length);
      length += n;
      // procfs and sysfs hand over all they have when the buffer has room:
      // a short read is the end, and saves the read that would return 0.
      if (n < room) break;
    }
    return this.buffer.toString('utf8', 0, length);
  }

  /**
   * Like read(), but undefined when the file does not exist (a board without
   * a thermal zone). A missing file is looked for again once a minute, not on
   * every sample: each failed open costs a thrown error.
   */
  readOptional(now = Date.now()): string | undefined {
    if (this.missingAt !== undefined && now - this.missingAt < RECHECK_MISSING_MS) return undefined;
    try {
      const text = this.read();
      this.missingAt = undefined;
      return text;
    } catch {
      this.missingAt = now;
      return undefined;
    }
  }
}
