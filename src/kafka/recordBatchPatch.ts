import { createRequire } from 'node:module';
import { unzipSync } from 'node:zlib';

/**
 * kafkajs 2.2.4 turns every fetched record into a message object with a Buffer
 * for the record, its key, its value and each header value, a string per header
 * key, offsets and timestamps through Long arithmetic, and a headers object
 * merged by spreading: most of the sink's garbage. The batch decoder here reads
 * a record batch into FetchedRecords instead: the numbers, and where the key,
 * value and headers lie in the batch's bytes, with the Buffers and the headers
 * object made only when asked for (towerLine reads the bytes in place).
 *
 * A batch it does not expect (transactional, control, partial, an offset
 * beyond 2^53, a malformed record) goes through kafkajs' own decoder.
 *
 * For consumers only, and before the first fetch: kafkajs loads its fetch
 * decoders at the first fetch, and keeps the batch decoder it finds then.
 */
interface KafkaDecoder {
  buffer: Buffer;
  offset: number;
}

type BatchDecoder = (fetchDecoder: KafkaDecoder) => Promise<unknown>;

interface Codec {
  decompress(buffer: Buffer): Promise<Buffer>;
}

export interface BatchContext {
  firstOffset: string;
  firstTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  maxTimestamp: string;
  timestampType: number;
  magicByte: number;
}

export type Headers = Record<string, Buffer | null | (Buffer | null)[]>;

const require = createRequire(import.meta.url);
const BATCH_PATH = 'kafkajs/src/protocol/recordBatch/v0/decoder.js';

let patched = false;

/** True once the batch decoder is in place; false if kafkajs had already loaded its own. */
export function patchKafkajsRecordBatches(): boolean {
  if (patched) return true;
  const path = require.resolve(BATCH_PATH);
  const loaded = () => require.cache[path];
  if (loaded()) return false;
  const original = require(path) as BatchDecoder;
  const cached = loaded();
  if (!cached) return false;
  const { lookupCodecByAttributes } = require('kafkajs/src/protocol/message/compression/index.js') as { lookupCodecByAttributes(a: number): Codec | null };
  cached.exports = lazyBatchDecoder(original, lookupCodecByAttributes);
  patched = true;
  return true;
}

/** Bytes before the first record: the batch header and the record count. */
const HEADER_BYTES = 61;
const COMPRESSION_MASK = 0x7;
const NONE = 0;
const GZIP = 1;
const TIMESTAMP_TYPE_FLAG = 0x8;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
const LOG_APPEND_TIME = 1;

export function lazyBatchDecoder(original: BatchDecoder, codecFor: (attributes: number) => Codec | null): BatchDecoder {
  return async (fetchDecoder) => {
    const b = fetchDecoder.buffer;
    const at = fetchDecoder.offset;
    const read = readHeader(b, at);
    if (read === undefined) return original(fetchDecoder);
    const { context, firstOffset, firstTimestamp, count, end } = read;
    const compression = b.readInt16BE(at + 21) & COMPRESSION_MASK;
    const codec = compression === NONE ? null : codecFor(compression);
    if (compression !== NONE && !codec) return original(fetchDecoder);
    const compressed = b.subarray(at + HEADER_BYTES, end);
    // One synchronous inflate of a fetch's ~64 KB costs the sink's main thread less than
    // zlib's stream with its thread-pool round trip and callbacks, as kafkajs' codec does it.
    const bytes = compression === GZIP ? unzipSync(compressed) : codec ? await codec.decompress(compressed) : b;
    const records = readRecords(bytes, codec ? 0 : at + HEADER_BYTES, codec ? bytes.length : end, count, context, firstOffset, firstTimestamp);
    if (records === undefined) return original(fetchDecoder);
    fetchDecoder.offset = end;
    return { ...withoutMagic(context), records };
  };
}

interface ReadHeader {
  context: BatchContext;
  firstOffset: number;
  firstTimestamp: number;
  count: number;
  /** Where the batch ends in the fetch response. */
  end: number;
}

function readHeader(b: Buffer, at: number): ReadHeader | undefined {
  if (b.length - at < HEADER_BYTES) return undefined;
  const end = at + 12 + b.readInt32BE(at + 8);
  const attributes = b.readInt16BE(at + 21);
  if (end > b.length || end < at + HEADER_BYTES || attributes & (TRANSACTIONAL_FLAG | CONTROL_FLAG)) return undefined;
  const firstOffset = Number(b.readBigInt64BE(at));
  const firstTimestamp = Number(b.readBigInt64BE(at + 27));
  if (!Number.isSafeInteger(firstOffset) || !Number.isSafeInteger(firstTimestamp)) return undefined;
  const context: BatchContext = {
    firstOffset: String(firstOffset),
    firstTimestamp: String(firstTimestamp),
    partitionLeaderEpoch: b.readInt32BE(at + 12),
    inTransaction: false,
    isControlBatch: false,
    lastOffsetDelta: b.readInt32BE(at + 23),
    producerId: b.readBigInt64BE(at + 43).toString(),
    producerEpoch: b.readInt16BE(at + 51),
    firstSequence: b.readInt32BE(at + 53),
    maxTimestamp: b.readBigInt64BE(at + 35).toString(),
    timestampType: attributes & TIMESTAMP_TYPE_FLAG ? LOG_APPEND_TIME : 0,
    magicByte: b.readInt8(at + 16),
  };
  return { context, firstOffset, firstTimestamp, count: b.readInt32BE(at + 57), end };
}

/** kafkajs returns the batch's context without the magic byte, which only its records carry. */
function withoutMagic(context: BatchContext): Omit<BatchContext, 'magicByte'> {
  const { magicByte: _magicByte, ...rest } = context;
  return rest;
}

/** `count` records from bytes[start, end), or undefined if they do not fit exactly as records. */
function readRecords(
  bytes: Buffer,
  start: number,
  end: number,
  count: number,
  context: BatchContext,
  firstOffset: number,
  firstTimestamp: number,
): FetchedRecord[] | undefined {
  if (count <= 0) return [];
  const appendTime = context.timestampType === LOG_APPEND_TIME && context.maxTimestamp ? Number(context.maxTimestamp) : undefined;
  const records = new Array<FetchedRecord>(count);
  const v = new VarintReader(bytes, start, end);
  for (let i = 0; i < count; i += 1) {
    const length = v.next();
    const recordEnd = v.pos + length;
    if (length <= 0 || recordEnd > end) return undefined;
    const attributes = bytes.readInt8(v.pos);
    v.pos += 1;
    const timestampDelta = v.next();
    const offset = firstOffset + v.next();
    const keyLength = v.next();
    const keyStart = v.pos;
    v.pos += Math.max(0, keyLength);
    const valueLength = v.next();
    const valueStart = v.pos;
    v.pos += Math.max(0, valueLength);
    const headersStart = v.pos;
    skipHeaders(v);
    if (v.failed || v.pos !== recordEnd || !Number.isSafeInteger(offset)) return undefined;
    const timestamp = appendTime ?? firstTimestamp + timestampDelta;
    records[i] = new FetchedRecord(bytes, context, attributes, timestamp, offset, keyStart, keyLength, valueStart, valueLength, headersStart, recordEnd);
  }
  return v.pos === end ? records : undefined;
}

function skipHeaders(v: VarintReader): void {
  const headers = new HeaderReader(v);
  while (headers.next());
}

/** Walks a record's headers in place: after each `next()`, where its key and value lie (length -1: null). */
class HeaderReader {
  keyStart = 0;
  keyLength = 0;
  valueStart = 0;
  valueLength = 0;
  private left: number;

  constructor(private readonly v: VarintReader) {
    this.left = v.next();
  }

  next(): boolean {
    const v = this.v;
    if (this.left <= 0 || v.failed) return false;
    this.left -= 1;
    this.keyLength = v.next();
    this.keyStart = v.pos;
    v.pos += Math.max(0, this.keyLength);
    this.valueLength = v.next();
    this.valueStart = v.pos;
    v.pos += Math.max(0, this.valueLength);
    return !v.failed;
  }
}

/** Zigzag varints of up to 7 bytes (±2^48) within [pos, end); `failed` once one is longer or runs past the end. */
class VarintReader {
  failed = false;
  constructor(
    readonly bytes: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  next(): number {
    const b = this.bytes;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 7 && this.pos < this.end; i += 1) {
      const byte = b[this.pos++] as number;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      scale *= 128;
    }
    this.failed = true;
    return 0;
  }
}

/**
 * One fetched record, as kafkajs' message object reads (offset, timestamp, key,
 * value, headers, …), kept as positions in its batch's bytes.
 */
export class FetchedRecord {
  readonly isControlRecord = false;

  constructor(
    /** The (decompressed) bytes of the batch this record is in. */
    readonly bytes: Buffer,
    readonly batchContext: BatchContext,
    readonly attributes: number,
    /** The record's (or, with log-append time, the broker's) time, ms. */
    readonly timestampMs: number,
    readonly offsetNumber: number,
    private readonly keyStart: number,
    private readonly keyLength: number,
    readonly valueStart: number,
    private readonly valueLength: number,
    private readonly headersStart: number,
    private readonly end: number,
  ) {}

  get magicByte(): number {
    return this.batchContext.magicByte;
  }

  get offset(): string {
    return String(this.offsetNumber);
  }

  get timestamp(): string {
    return String(this.timestampMs);
  }

  get key(): Buffer | null {
    return this.keyLength < 0 ? null : this.bytes.subarray(this.keyStart, this.keyStart + this.keyLength);
  }

  get value(): Buffer | null {
    return this.valueLength < 0 ? null : this.bytes.subarray(this.valueStart, this.valueEnd);
  }

  get valueEnd(): number {
    return this.valueStart + Math.max(0, this.valueLength);
  }

  /** As kafkajs gives them: a repeated key's values in an array. */
  get headers(): Headers {
    const headers: Headers = {};
    const h = this.headerReader();
    while (h.next()) {
      const key = this.bytes.toString('utf8', h.keyStart, h.keyStart + Math.max(0, h.keyLength));
      const value = h.valueLength < 0 ? null : this.bytes.subarray(h.valueStart, h.valueStart + h.valueLength);
      // Read through the prototype, as kafkajs' own decoder does (a `constructor` header gets an array).
      const known = headers[key];
      const merged = known === undefined ? value : Array.isArray(known) ? known.concat([value]) : [known, value];
      Object.defineProperty(headers, key, { value: merged, enumerable: true, writable: true, configurable: true });
    }
    return headers;
  }

  /** Whether header `key` is there once, with exactly `value` (ASCII both), read in place. */
  hasHeader(key: Uint8Array, value: Uint8Array): boolean {
    const h = this.headerReader();
    let found = 0;
    while (h.next()) {
      if (h.keyLength !== key.length || !sameBytes(this.bytes, h.keyStart, key)) continue;
      found += h.valueLength === value.length && sameBytes(this.bytes, h.valueStart, value) ? 1 : 2;
    }
    return found === 1;
  }

  private headerReader(): HeaderReader {
    return new HeaderReader(new VarintReader(this.bytes, this.headersStart, this.end));
  }
}

function sameBytes(b: Uint8Array, at: number, expected: Uint8Array): boolean {
  for (let i = 0; i < expected.length; i += 1) if (b[at + i] !== expected[i]) return false;
  return true;
}
