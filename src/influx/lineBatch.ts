/**
 * Lines of line protocol as the bytes of a write request body: each line ends
 * in `\n`, and `ends` says where. A write sends `bytes` as it is; the retry
 * layer splits a refused batch into halves without copying (`slice`); a
 * refused line is read back as text only then (`line`).
 */
export class LineBatch {
  constructor(
    private readonly all: Buffer<ArrayBuffer>,
    /** End (after its `\n`) of each line in `all`. */
    private readonly ends: ArrayLike<number>,
    /** Index of this batch's first line in the batch it was sliced from. */
    readonly first = 0,
    readonly count = ends.length - first,
    private readonly pool?: BufferPool,
  ) {}

  /** Hands the batch's buffer back to its pool; the batch must not be read after. */
  release(): void {
    this.pool?.give(this.all);
  }

  static of(lines: string[]): LineBatch {
    const builder = new LineBatchBuilder();
    for (const line of lines) builder.addLine(line);
    return builder.build();
  }

  /** The request body: this batch's lines, each ending in `\n`. */
  get bytes(): Buffer<ArrayBuffer> {
    return this.all.subarray(this.start(this.first), this.start(this.first + this.count));
  }

  /** Lines [start, end) of this batch. */
  slice(start: number, end: number): LineBatch {
    return new LineBatch(this.all, this.ends, this.first + start, Math.max(0, Math.min(end, this.count) - start));
  }

  /** Line i of this batch, without its `\n`. */
  line(i: number): string {
    const at = this.first + i;
    return this.all.toString('utf8', this.start(at), (this.ends[at] as number) - 1);
  }

  private start(at: number): number {
    return at === 0 ? 0 : (this.ends[at - 1] as number);
  }
}

/**
 * Buffers of written batches, for the next batches to be built in. Without it
 * the sink leaves V8 a buffer of about a megabyte per write, freed only by a
 * full collection: tens of MB of RSS between collections.
 */
export class BufferPool {
  private readonly free: Buffer<ArrayBuffer>[] = [];

  /** Keeps up to `keep` buffers (default 8: three partitions, two writes in flight each, and spares). */
  constructor(private readonly keep = 8) {}

  /** A buffer of at least `size` bytes, its contents undefined. */
  take(size: number): Buffer<ArrayBuffer> {
    const i = this.free.findIndex((b) => b.length >= size);
    return i >= 0 ? (this.free.splice(i, 1)[0] as Buffer<ArrayBuffer>) : Buffer.allocUnsafe(size);
  }

  give(buffer: Buffer<ArrayBuffer>): void {
    if (this.free.length < this.keep && !this.free.includes(buffer)) this.free.push(buffer);
  }
}

/** Bytes of one ASCII text, to copy into many lines. */
export function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/**
 * Builds a LineBatch byte by byte. A line is begun with `mark()`, written with
 * the `put…` methods and either ended with `endLine()` or undone with `undo()`,
 * so that a reader can give up half-way through a message.
 */
export class LineBatchBuilder {
  private bytes: Buffer<ArrayBuffer>;
  private length = 0;
  private lineBegin = 0;
  private readonly ends: number[] = [];

  constructor(
    capacity = 64 * 1024,
    private readonly pool?: BufferPool,
  ) {
    this.bytes = this.allocate(capacity);
  }

  mark(): void {
    this.lineBegin = this.length;
  }

  undo(): void {
    this.length = this.lineBegin;
  }

  endLine(): void {
    this.putByte(0x0a);
    this.ends.push(this.length);
    this.lineBegin = this.length;
  }

  /** A whole line of text (the general path's), UTF-8. */
  addLine(text: string): void {
    this.mark();
    this.reserve(Buffer.byteLength(text));
    this.length += this.bytes.write(text, this.length);
    this.endLine();
  }

  putByte(byte: number): void {
    if (this.length === this.bytes.length) this.reserve(1);
    this.bytes[this.length++] = byte;
  }

  putBytes(source: Uint8Array, start = 0, end = source.length): void {
    this.reserve(end - start);
    const out = this.bytes;
    let at = this.length;
    for (let i = start; i < end; i += 1) out[at++] = source[i] as number;
    this.length = at;
  }

  /** Text known to be ASCII (a number's digits). */
  putAscii(text: string): void {
    this.reserve(text.length);
    const out = this.bytes;
    let at = this.length;
    for (let i = 0; i < text.length; i += 1) out[at++] = text.charCodeAt(i);
    this.length = at;
  }

  /** A safe integer in decimal, as String() writes it. */
  putInteger(value: number): void {
    this.reserve(17);
    const out = this.bytes;
    let at = this.length;
    let rest = value;
    if (rest < 0) {
      out[at++] = 0x2d;
      rest = -rest;
    }
    // In two halves below 10^8, so that the digits come from 32-bit integer arithmetic.
    if (rest >= 1e8) {
      const high = Math.floor(rest / 1e8);
      at = putDigits(out, at, high, digitCount(high));
      this.length = putDigits(out, at, rest - high * 1e8, 8);
    } else this.length = putDigits(out, at, rest, digitCount(rest));
  }

  build(): LineBatch {
    return new LineBatch(this.bytes, this.ends, 0, this.ends.length, this.pool);
  }

  private reserve(more: number): void {
    if (this.length + more <= this.bytes.length) return;
    const size = Math.max(this.bytes.length * 2, this.length + more);
    const grown = this.allocate(size);
    this.bytes.copy(grown, 0, 0, this.length);
    this.pool?.give(this.bytes);
    this.bytes = grown;
  }

  private allocate(size: number): Buffer<ArrayBuffer> {
    return this.pool ? this.pool.take(size) : Buffer.allocUnsafe(size);
  }
}

/** The `count` last decimal digits of n (< 10^8, zero-padded) at `at`; gives where they end. */
function putDigits(out: Buffer, at: number, n: number, count: number): number {
  let rest = n | 0;
  for (let p = at + count - 1; p >= at; p -= 1) {
    const tenth = (rest / 10) | 0;
    out[p] = 0x30 + rest - tenth * 10;
    rest = tenth;
  }
  return at + count;
}

function digitCount(n: number): number {
  let count = 1;
  for (let limit = 10; n >= limit && count < 8; limit *= 10) count += 1;
  return count;
}
