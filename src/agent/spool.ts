import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from './crc32.js';

export interface SpoolOptions {
  /** Cap on the bytes kept on disk; the oldest records go first. Default 64 MiB. */
  maxBytes?: number;
  /** Size at which a new segment file is started. Default 1 MiB. */
  segmentBytes?: number;
}

interface Segment {
  seq: number;
  bytes: number;
  records: number;
}

/** Where reading resumes: a segment and a byte offset in it. */
export interface SpoolPosition {
  seq: number;
  offset: number;
  /** Records between the head and this position. */
  records: number;
}

const RECORD_HEADER = 8; // u32 length, u32 crc32
const SEGMENT_SUFFIX = '.seg';
const HEAD_FILE = 'head';
const HEAD_WIDTH = 48;

/**
 * A bounded, ordered, on-disk queue of encoded samples, kept while the brokers
 * cannot be reached. Records are appended to segment files with plain write(2)
 * calls, so a SIGKILL loses nothing that `append` returned from; the `head`
 * file records how far sending got. A torn record at the tail (power loss
 * mid-write) fails its CRC and is cut off when the spool is opened.
 */
export class Spool {
  private readonly segments: Segment[] = [];
  private headOffset = 0;
  private headRecordsSent = 0;
  private droppedRecords = 0;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  /** Open descriptors, kept so that a sample costs one write(2), not open+write+close. */
  private tailFile: { seq: number; fd: number } | undefined;
  private headFile: { seq: number; fd: number } | undefined;
  private headPositionFd: number | undefined;

  constructor(
    private readonly dir: string,
    options: SpoolOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.segmentBytes = options.segmentBytes ?? 1024 * 1024;
    mkdirSync(dir, { recursive: true });
    this.load();
  }

  /** Records waiting to be sent. */
  get length(): number {
    return this.segments.reduce((sum, s) => sum + s.records, 0) - this.headRecordsSent;
  }

  get bytes(): number {
    return this.segments.reduce((sum, s) => sum + s.bytes, 0) - this.headOffset;
  }

  /** Records thrown away because the spool was full, since it was opened. */
  get dropped(): number {
    return this.droppedRecords;
  }

  append(records: Uint8Array[]): void {
    for (const record of records) this.appendOne(record);
  }

  /** Up to `max` records from the head, oldest first, and the position after them. */
  peek(max: number): { records: Uint8Array[]; next: SpoolPosition } {
    if (this.dropConsumedHead()) this.writeHead();
    const head = this.segments[0];
    const empty = { records: [], next: { seq: head?.seq ?? 0, offset: this.headOffset, records: 0 } };
    if (!head || this.length === 0) return empty;
    const data = readRange(this.headFd(head.seq), this.headOffset, head.bytes - this.headOffset);
    const records: Uint8Array[] = [];
    let offset = 0;
    while (records.length < max && offset < data.length) {
      const record = readRecord(data, offset);
      if (!record) break;
      records.push(record.payload);
      offset = record.end;
    }
    return { records, next: { seq: head.seq, offset: this.headOffset + offset, records: records.length } };
  }

  /** Marks everything before `position` as sent. */
  ack(position: SpoolPosition): void {
    const head = this.segments[0];
    if (!head || head.seq !== position.seq) return;
    this.headOffset = position.offset;
    this.headRecordsSent += position.records;
    this.dropConsumedHead();
    this.writeHead();
  }

  private appendOne(record: Uint8Array): void {
    const frame = frameRecord(record);
    let tail = this.segments.at(-1) as Segment;
    if (tail.bytes > 0 && tail.bytes + frame.length > this.segmentBytes) {
      tail = { seq: tail.seq + 1, bytes: 0, records: 0 };
      this.segments.push(tail);
    }
    writeSync(this.tailFd(tail.seq), frame);
    tail.bytes += frame.length;
    tail.records += 1;
    this.enforceCap();
  }

  private enforceCap(): void {
    while (this.bytes > this.maxBytes && this.segments.length > 1) {
      const head = this.segments[0] as Segment;
      this.droppedRecords += head.records - this.headRecordsSent;
      this.removeHeadSegment();
      this.writeHead();
    }
  }

  /** A fully sent segment is deleted once appends have moved on to a newer one. */
  private dropConsumedHead(): boolean {
    let dropped = false;
    while (this.segments.length > 1 && this.headOffset >= (this.segments[0] as Segment).bytes) {
      this.removeHeadSegment();
      dropped = true;
    }
    return dropped;
  }

  /** Releases the open files; the spool must not be used afterwards. */
  close(): void {
    for (const fd of [this.tailFile?.fd, this.headFile?.fd, this.headPositionFd]) if (fd !== undefined) closeSync(fd);
    this.tailFile = undefined;
    this.headFile = undefined;
    this.headPositionFd = undefined;
  }

  private tailFd(seq: number): number {
    if (this.tailFile?.seq !== seq) {
      if (this.tailFile) closeSync(this.tailFile.fd);
      this.tailFile = { seq, fd: openSync(this.segmentPath(seq), 'a') };
    }
    return this.tailFile.fd;
  }

  private headFd(seq: number): number {
    if (this.headFile?.seq !== seq) {
      if (this.headFile) closeSync(this.headFile.fd);
      this.headFile = { seq, fd: openSync(this.segmentPath(seq), 'r') };
    }
    return this.headFile.fd;
  }

  private removeHeadSegment(): void {
    const head = this.segments.shift() as Segment;
    if (this.headFile?.seq === head.seq) {
      closeSync(this.headFile.fd);
      this.headFile = undefined;
    }
    rmSync(this.segmentPath(head.seq), { force: true });
    this.headOffset = 0;
    this.headRecordsSent = 0;
  }

  private load(): void {
    const seqs = readdirSync(this.dir)
      .filter((name) => name.endsWith(SEGMENT_SUFFIX))
      .map((name) => Number(name.slice(0, -SEGMENT_SUFFIX.length)))
      .filter(Number.isSafeInteger)
      .sort((a, b) => a - b);
    for (const seq of seqs) this.segments.push(this.scanSegment(seq));
    const head = this.readHead();
    while (head && this.segments[0] && this.segments[0].seq < head.seq) this.removeHeadSegment();
    if (head && this.segments[0]?.seq === head.seq) {
      const boundary = recordsBefore(readFileSync(this.segmentPath(head.seq)), head.offset);
      if (boundary) {
        this.headOffset = head.offset;
        this.headRecordsSent = boundary.records;
      }
    }
    if (this.segments.length === 0) this.segments.push({ seq: (head?.seq ?? 0) + 1, bytes: 0, records: 0 });
  }

  /** Counts whole records and cuts off a torn tail. */
  private scanSegment(seq: number): Segment {
    const path = this.segmentPath(seq);
    const data = readFileSync(path);
    let offset = 0;
    let records = 0;
    for (let record = readRecord(data, 0); record; record = readRecord(data, offset)) {
      offset = record.end;
      records += 1;
    }
    if (offset < data.length) truncateSync(path, offset);
    return { seq, bytes: offset, records };
  }

  private readHead(): { seq: number; offset: number } | undefined {
    try {
      const [seq, offset] = readFileSync(join(this.dir, HEAD_FILE), 'utf8').trim().split(' ').map(Number);
      if (Number.isSafeInteger(seq) && Number.isSafeInteger(offset)) return { seq: seq as number, offset: offset as number };
    } catch {
      // no head file yet: start at the oldest segment
    }
    return undefined;
  }

  /**
   * One fixed-width positional write per acknowledgement. No fsync: after a
   * power cut the head may lag or be torn, which only re-sends samples (an
   * offset that is not a record boundary is ignored on open); the sink
   * overwrites those points, so nothing is lost or doubled.
   */
  private writeHead(): void {
    const head = this.segments[0];
    this.headPositionFd ??= openSync(join(this.dir, HEAD_FILE), 'w');
    writeSync(this.headPositionFd, `${`${head?.seq ?? 0} ${this.headOffset}`.padEnd(HEAD_WIDTH - 1)}\n`, 0);
  }

  private segmentPath(seq: number): string {
    return join(this.dir, `${String(seq).padStart(20, '0')}${SEGMENT_SUFFIX}`);
  }
}

function frameRecord(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(RECORD_HEADER + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  frame.set(payload, RECORD_HEADER);
  return frame;
}

function readRecord(data: Buffer, offset: number): { payload: Uint8Array; end: number } | undefined {
  if (offset + RECORD_HEADER > data.length) return undefined;
  const length = data.readUInt32LE(offset);
  const end = offset + RECORD_HEADER + length;
  if (length === 0 || end > data.length) return undefined;
  const payload = data.subarray(offset + RECORD_HEADER, end);
  if (crc32(payload) !== data.readUInt32LE(offset + 4)) return undefined;
  return { payload, end };
}

function readRange(fd: number, offset: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const n = readSync(fd, buffer, filled, length - filled, offset + filled);
    if (n === 0) break;
    filled += n;
  }
  return buffer.subarray(0, filled);
}

/** Records before `offset`, or undefined when `offset` is not a record boundary. */
function recordsBefore(data: Buffer, offset: number): { records: number } | undefined {
  let position = 0;
  let records = 0;
  while (position < offset) {
    const record = readRecord(data, position);
    if (!record) return undefined;
    position = record.end;
    records += 1;
  }
  return position === offset ? { records } : undefined;
}
