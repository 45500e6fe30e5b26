// The body of a Produce request, versions 3 to 7 (one layout), with one
// RecordBatch v2 per partition: the bytes kafkajs 2.2.4's own encoder writes
// for the same arguments, written into one reused buffer instead of a fresh
// zeroed Encoder per record, header, batch, partition and topic.
type Bytes = Buffer | string;
export type HeaderValue = Bytes | Bytes[];

export interface ProduceMessage {
  key?: Bytes | null;
  value: Bytes | null;
  headers?: Record<string, HeaderValue>;
  timestamp?: unknown;
}

export interface ProducePartition {
  partition: number;
  messages: ProduceMessage[];
  firstSequence?: number;
}

export interface ProduceTopic {
  topic: string;
  partitions: ProducePartition[];
}

/** The arguments kafkajs' Produce request is made from. */
export interface ProduceArgs {
  acks: number;
  timeout: number;
  compression?: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  topicData: ProduceTopic[];
}

export const COMPRESSION_NONE = 0;
export const COMPRESSION_GZIP = 1;

const MAGIC_BYTE = 2;
/** From the batch's attributes to its end: what the CRC covers. */
const BATCH_BODY_OFFSET = 21;

const isBytes = (v: unknown): v is Bytes => typeof v === 'string' || Buffer.isBuffer(v);

/**
 * Whether `encodeProduceRequest` writes what kafkajs would for these
 * arguments. Not handled (kafkajs' own encoder then): transactions, codecs
 * other than gzip, messages with their own timestamps, keys, values or
 * headers that are neither strings nor Buffers.
 */
export function leanEncodable(args: ProduceArgs): boolean {
  const { compression = COMPRESSION_NONE, transactionalId, producerId } = args;
  if (transactionalId != null || (compression !== COMPRESSION_NONE && compression !== COMPRESSION_GZIP)) return false;
  if (producerId !== undefined && typeof producerId !== 'number' && typeof producerId !== 'string' && typeof producerId !== 'bigint') return false;
  if (typeof producerId === 'number' && !Number.isSafeInteger(producerId)) return false;
  if (typeof producerId === 'string' && !/^-?\d+$/.test(producerId)) return false;
  return args.topicData.every((t) => typeof t.topic === 'string' && t.partitions.every((p) => p.messages.every(encodableMessage)));
}

function encodableMessage(m: ProduceMessage): boolean {
  if (m.timestamp != null || (m.key != null && !isBytes(m.key)) || (m.value != null && !isBytes(m.value))) return false;
  const headers = m.headers ?? {};
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (Array.isArray(value) ? !value.every(isBytes) : !isBytes(value)) return false;
  }
  return true;
}

/**
 * The request body for `leanEncodable` arguments, in a Buffer of its own.
 * `timestamp` is every batch's first and max timestamp (kafkajs: Date.now());
 * `gzip` compresses a batch's records when the compression is gzip.
 */
export function encodeProduceRequest(args: ProduceArgs, timestamp: number, gzip: (records: Buffer) => Buffer): Buffer {
  const w = writer;
  w.offset = 0;
  w.ensure(10);
  w.int16(-1); // transactional_id: null
  w.int16(args.acks);
  w.int32(args.timeout);
  w.int32(args.topicData.length);
  for (const topic of args.topicData) {
    w.string(topic.topic);
    w.ensure(4);
    w.int32(topic.partitions.length);
    for (const partition of topic.partitions) writePartition(w, args, partition, timestamp, gzip);
  }
  const out = Buffer.allocUnsafe(w.offset);
  w.buf.copy(out, 0, 0, w.offset);
  return out;
}

function writePartition(w: Writer, args: ProduceArgs, partition: ProducePartition, timestamp: number, gzip: (records: Buffer) => Buffer): void {
  const compression = args.compression ?? COMPRESSION_NONE;
  const { messages } = partition;
  w.ensure(8 + 61 + 4);
  w.int32(partition.partition);
  const sizeAt = w.offset;
  w.offset += 4; // the record set's size, once known
  w.int64(0n); // first offset
  w.offset += 4; // the batch's length, once known
  w.int32(0); // partition leader epoch
  w.int8(MAGIC_BYTE);
  w.offset += 4; // CRC, once the rest is written
  w.int16(compression);
  w.int32(messages.length - 1); // last offset delta
  w.int64(BigInt(timestamp));
  w.int64(BigInt(timestamp));
  w.int64(args.producerId === undefined ? -1n : BigInt(args.producerId as number | string | bigint));
  w.int16(args.producerEpoch ?? 0);
  w.int32(partition.firstSequence ?? 0);
  w.int32(messages.length);
  const recordsAt = w.offset;
  for (let i = 0; i < messages.length; i += 1) writeRecord(w, messages[i] as ProduceMessage, i);
  if (compression === COMPRESSION_GZIP) {
    const compressed = gzip(w.buf.subarray(recordsAt, w.offset));
    w.offset = recordsAt;
    w.bytes(compressed);
  }
  const end = w.offset;
  w.buf.writeInt32BE(end - sizeAt - 4, sizeAt);
  w.buf.writeInt32BE(end - sizeAt - 16, sizeAt + 12);
  w.buf.writeUInt32BE(crc32c(w.buf, sizeAt + 4 + BATCH_BODY_OFFSET, end), sizeAt + 4 + 17);
}

function writeRecord(w: Writer, message: ProduceMessage, offsetDelta: number): void {
  const key = message.key ?? null;
  const value = message.value ?? null;
  const keyLength = byteLength(key);
  const valueLength = byteLength(value);
  const headers = message.headers ?? {};
  const headerKeys = Object.keys(headers);
  let headerCount = 0;
  let headersSize = 0;
  for (const headerKey of headerKeys) {
    const headerValue = headers[headerKey] as HeaderValue;
    const values = Array.isArray(headerValue) ? headerValue : [headerValue];
    const keySize = Buffer.byteLength(headerKey);
    for (const v of values) headersSize += varIntSize(keySize) + keySize + varIntSize(byteLength(v)) + byteLength(v);
    headerCount += values.length;
  }
  headersSize += varIntSize(headerCount);
  const bodySize =
    2 + varIntSize(offsetDelta) + varIntSize(keyLength) + Math.max(keyLength, 0) + varIntSize(valueLength) + Math.max(valueLength, 0) + headersSize;
  w.ensure(5 + bodySize);
  w.varInt(bodySize);
  w.int8(0); // attributes
  w.int8(0); // timestamp delta: every message at the batch's timestamp
  w.varInt(offsetDelta);
  w.varIntBytes(key, keyLength);
  w.varIntBytes(value, valueLength);
  w.varInt(headerCount);
  for (const headerKey of headerKeys) {
    const headerValue = headers[headerKey] as HeaderValue;
    const keySize = Buffer.byteLength(headerKey);
    for (const v of Array.isArray(headerValue) ? headerValue : [headerValue]) {
      w.varIntBytes(headerKey, keySize);
      w.varIntBytes(v, byteLength(v));
    }
  }
}

/** UTF-8 length; -1 for null, as Kafka writes a null key or value. */
function byteLength(value: Bytes | null): number {
  if (value === null) return -1;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

function varIntSize(value: number): number {
  let zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
  let size = 1;
  while (zigzag >= 0x80) {
    zigzag >>>= 7;
    size += 1;
  }
  return size;
}

/** A growable buffer that is never zeroed: every byte up to `offset` is written before it is read. */
class Writer {
  buf = Buffer.allocUnsafe(4096);
  offset = 0;

  ensure(length: number): void {
    if (this.offset + length <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(2 ** Math.ceil(Math.log2(this.offset + length)));
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  }

  int8(value: number): void {
    this.buf[this.offset++] = value;
  }

  int16(value: number): void {
    this.offset = this.buf.writeInt16BE(value, this.offset);
  }

  int32(value: number): void {
    this.offset = this.buf.writeInt32BE(value, this.offset);
  }

  int64(value: bigint): void {
    this.offset = this.buf.writeBigInt64BE(value, this.offset);
  }

  varInt(value: number): void {
    let zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
    while (zigzag >= 0x80) {
      this.buf[this.offset++] = (zigzag & 0x7f) | 0x80;
      zigzag >>>= 7;
    }
    this.buf[this.offset++] = zigzag;
  }

  string(value: string): void {
    const length = Buffer.byteLength(value);
    this.ensure(2 + length);
    this.int16(length);
    this.offset += this.buf.write(value, this.offset, length);
  }

  bytes(value: Buffer): void {
    this.ensure(value.length);
    this.offset += value.copy(this.buf, this.offset);
  }

  /** A varint length, then the bytes; room for both is ensured by the caller. */
  varIntBytes(value: Bytes | null, length: number): void {
    this.varInt(length);
    if (value === null) return;
    if (typeof value === 'string') this.offset += this.buf.write(value, this.offset, length);
    else this.offset += value.copy(this.buf, this.offset);
  }
}

/** One for the process: every request is written synchronously, then copied out. */
const writer = new Writer();

// CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), what a RecordBatch v2 carries.
const CRC32C_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c;
});

export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = -1;
  for (let i = start; i < end; i += 1) crc = (CRC32C_TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
