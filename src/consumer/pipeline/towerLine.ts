import { asciiBytes, type LineBatchBuilder } from '../../influx/lineBatch.js';
import { FetchedRecord } from '../../kafka/recordBatchPatch.js';
import { ENCODING_MSGPACK, HEADER_ENCODING, SCHEMA_VERSION } from '../../schema/sample.js';
import { clockSkewed } from './clock.js';
import type { DecodeOptions, IncomingMessage } from './decode.js';
import { escapeKey, escapeMeasurement } from './lineProtocol.js';

/**
 * The common case straight from the msgpack bytes to the bytes of its line,
 * with no decoded sample, point, string or map in between: a Tower sample
 * {v, host, time, fields} (host before fields) whose host and field names are
 * plain ASCII needing no escaping, whose fields are all numbers, and whose
 * clock agrees with the broker's. For anything else, however slightly off, it
 * writes nothing and gives false, and the caller takes the general path
 * (decodeMessage, toLine), which says what is wrong and dead-letters it if need be.
 */
export type TowerLineWriter = (message: IncomingMessage, out: LineBatchBuilder) => boolean;

export function towerLineWriter(options: DecodeOptions): TowerLineWriter {
  let head: Uint8Array;
  let region: Uint8Array;
  try {
    // As toLine writes them: tags sorted, host before region.
    head = asciiBytes(`${escapeMeasurement(options.measurement)},host=`);
    region = asciiBytes(options.region === '' ? '' : `,region=${escapeKey(options.region)}`);
  } catch {
    return () => false;
  }
  const parts: LineParts = { head, region, maxSkewMs: options.maxSkewMs };
  const write = (b: Buffer, start: number, end: number, brokerTime: number, out: LineBatchBuilder) => {
    out.mark();
    if (writeLine(new Cursor(b, start, end), brokerTime, parts, out)) return true;
    out.undo();
    return false;
  };
  return (message, out) => {
    // Read in place, without the Buffers and headers object kafkajs' message would have.
    if (message instanceof FetchedRecord) {
      return message.hasHeader(ENCODING_KEY, MSGPACK) && write(message.bytes, message.valueStart, message.valueEnd, message.timestampMs, out);
    }
    const value = message.value;
    if (!value || !isMsgpack(message.headers?.[HEADER_ENCODING])) return false;
    return write(value, 0, value.length, Number(message.timestamp), out);
  };
}

interface LineParts {
  head: Uint8Array;
  region: Uint8Array;
  maxSkewMs: number;
}

const MSGPACK = asciiBytes(ENCODING_MSGPACK);
const ENCODING_KEY = asciiBytes(HEADER_ENCODING);

function isMsgpack(header: unknown): boolean {
  if (typeof header === 'string') return header === ENCODING_MSGPACK;
  return header instanceof Uint8Array && header.length === MSGPACK.length && sameBytes(header, 0, MSGPACK);
}

enum Key {
  Other,
  V,
  Host,
  Time,
  Fields,
}

/** The envelope in any order and nothing else; false, with a part of the line written, when it is not one. */
function writeLine(c: Cursor, brokerTime: number, parts: LineParts, out: LineBatchBuilder): boolean {
  const b = c.bytes;
  if (c.mapLength() !== 4) return false;
  let seen = 0;
  let v: number | undefined;
  let time: number | undefined;
  for (let i = 0; i < 4; i += 1) {
    const key = c.key();
    if (key === Key.Other || seen & (1 << key)) return false;
    seen |= 1 << key;
    if (key === Key.V) v = c.number();
    else if (key === Key.Time) time = c.number();
    else if (key === Key.Host) {
      if (!c.name()) return false;
      out.putBytes(parts.head);
      out.putBytes(b, c.nameStart, c.pos);
      out.putBytes(parts.region);
      out.putByte(0x20);
    } else if (!(seen & (1 << Key.Host)) || !writeFields(c, out)) return false;
    if (c.pos > c.end) return false;
  }
  if (c.pos !== c.end || v !== SCHEMA_VERSION) return false;
  if (time === undefined || !Number.isSafeInteger(time) || time < 0 || clockSkewed(time, brokerTime, parts.maxSkewMs)) return false;
  out.putByte(0x20);
  out.putInteger(time);
  out.endLine();
  return true;
}

/** A sample has a dozen fields: where each name is, to find a repeated one. */
const nameStarts = new Int32Array(256);
const nameEnds = new Int32Array(256);
const nameHashes = new Int32Array(256);

function writeFields(c: Cursor, out: LineBatchBuilder): boolean {
  const count = c.mapLength();
  if (count === undefined || count === 0 || count > nameStarts.length) return false;
  for (let i = 0; i < count; i += 1) {
    if (!c.name()) return false;
    const start = c.nameStart;
    const end = c.pos;
    const hash = c.nameHash;
    if (repeated(c.bytes, start, end, hash, i)) return false;
    nameStarts[i] = start;
    nameEnds[i] = end;
    nameHashes[i] = hash;
    const value = c.number();
    if (value === undefined) return false;
    if (i > 0) out.putByte(0x2c);
    out.putBytes(c.bytes, start, end);
    out.putByte(0x3d);
    if (Number.isSafeInteger(value)) out.putInteger(value);
    else out.putAscii(fractionText(value));
  }
  return true;
}

function repeated(b: Buffer, start: number, end: number, hash: number, before: number): boolean {
  for (let j = 0; j < before; j += 1) {
    if (nameHashes[j] !== hash || (nameEnds[j] as number) - (nameStarts[j] as number) !== end - start) continue;
    if (b.subarray(nameStarts[j], nameEnds[j]).equals(b.subarray(start, end))) return true;
  }
  return false;
}

/** Reads one msgpack value at a time from `bytes`; `pos` is where the next one starts. */
class Cursor {
  /** Where the bytes of the last name read begin (they end at `pos`), and their hash. */
  nameStart = 0;
  nameHash = 0;
  constructor(
    readonly bytes: Buffer,
    public pos: number,
    /** Where the message's bytes end. */
    readonly end: number,
  ) {}

  /** Which envelope key is next. */
  key(): Key {
    const b = this.bytes;
    const p = this.pos;
    const tag = p < this.end ? (b[p] as number) : 0;
    const length = tag - 0xa0;
    if (p + 1 + length > this.end) return Key.Other;
    const key =
      tag === 0xa1 && b[p + 1] === 0x76 ? Key.V : tag === 0xa4 ? fourLetterKey(b, p + 1) : tag === 0xa6 && sameBytes(b, p + 1, FIELDS) ? Key.Fields : Key.Other;
    if (key !== Key.Other) this.pos = p + 1 + length;
    return key;
  }

  /**
   * A plain name (ASCII, no byte that line protocol escapes, no leading digit,
   * not `__proto__`): moves past it and gives true, else false.
   */
  name(): boolean {
    const b = this.bytes;
    if (this.pos >= this.end) return false;
    const tag = b[this.pos] as number;
    let start: number;
    if (tag >= 0xa0 && tag <= 0xbf) start = this.pos + 1;
    else if (tag === 0xd9 && this.pos + 1 < this.end) start = this.pos + 2;
    else return false;
    const length = tag === 0xd9 ? (b[this.pos + 1] as number) : tag - 0xa0;
    const end = start + length;
    if (length === 0 || end > this.end) return false;
    // A leading digit could make an index-like key, which a JS object would reorder.
    if ((b[start] as number) <= 0x39 && (b[start] as number) >= 0x30) return false;
    let hash = length;
    for (let i = start; i < end; i += 1) {
      const byte = b[i] as number;
      if (!PLAIN[byte]) return false;
      hash = (Math.imul(hash, 31) + byte) | 0;
    }
    if (length === PROTO.length && sameBytes(b, start, PROTO)) return false;
    this.nameStart = start;
    this.nameHash = hash;
    this.pos = end;
    return true;
  }

  /** A finite number of any msgpack number type, decoded as @msgpack/msgpack does, or undefined. */
  number(): number | undefined {
    const b = this.bytes;
    const p = this.pos;
    if (p >= this.end) return undefined;
    const tag = b[p] as number;
    if (tag <= 0x7f || tag >= 0xe0) {
      this.pos = p + 1;
      return tag <= 0x7f ? tag : tag - 0x100;
    }
    const size = NUMBER_SIZE[tag - 0xca] ?? 0;
    if (size === 0 || p + 1 + size > this.end) return undefined;
    this.pos = p + 1 + size;
    const n = readNumber(b, tag, p + 1);
    return Number.isFinite(n) ? n : undefined;
  }

  /** The entry count of a map (fixmap or map16), or undefined. */
  mapLength(): number | undefined {
    const b = this.bytes;
    if (this.pos >= this.end) return undefined;
    const tag = b[this.pos] as number;
    if (tag >= 0x80 && tag <= 0x8f) {
      this.pos += 1;
      return tag - 0x80;
    }
    if (tag === 0xde && this.pos + 2 < this.end) {
      this.pos += 3;
      return b.readUInt16BE(this.pos - 2);
    }
    return undefined;
  }
}

function fourLetterKey(b: Buffer, at: number): Key {
  if (b[at] === 0x68 && b[at + 1] === 0x6f && b[at + 2] === 0x73 && b[at + 3] === 0x74) return Key.Host;
  if (b[at] === 0x74 && b[at + 1] === 0x69 && b[at + 2] === 0x6d && b[at + 3] === 0x65) return Key.Time;
  return Key.Other;
}

const FIELDS = asciiBytes('fields');

/** Whether `b` holds `expected` at `at` (a short run: a loop beats Buffer.compare's native call). */
function sameBytes(b: Uint8Array, at: number, expected: Uint8Array): boolean {
  for (let i = 0; i < expected.length; i += 1) if (b[at + i] !== expected[i]) return false;
  return true;
}

const PROTO = asciiBytes('__proto__');

/** Bytes of a name that need no escaping and no UTF-8 decoding. */
const PLAIN = new Uint8Array(128).map((_, byte) => (byte > 0x20 && byte < 0x7f && byte !== 0x2c && byte !== 0x3d && byte !== 0x5c ? 1 : 0));

/**
 * String(value) of a fraction costs V8 ~10× an integer's, and metrics repeat
 * their values (a disk's percent, a load average): the texts of recent ones.
 */
const fractions = new Map<number, string>();
const FRACTIONS_KEPT = 10_000;

function fractionText(value: number): string {
  let text = fractions.get(value);
  if (text === undefined) {
    text = String(value);
    if (fractions.size >= FRACTIONS_KEPT) fractions.clear();
    fractions.set(value, text);
  }
  return text;
}

/** Bytes after the tag of 0xca float32 … 0xd3 int64. */
const NUMBER_SIZE = [4, 8, 1, 2, 4, 8, 1, 2, 4, 8];

function readNumber(b: Buffer, tag: number, at: number): number {
  switch (tag) {
    case 0xca:
      return b.readFloatBE(at);
    case 0xcb:
      return b.readDoubleBE(at);
    case 0xcc:
      return b[at] as number;
    case 0xcd:
      return b.readUInt16BE(at);
    case 0xce:
      return b.readUInt32BE(at);
    case 0xcf:
      return b.readUInt32BE(at) * 4294967296 + b.readUInt32BE(at + 4);
    case 0xd0:
      return b.readInt8(at);
    case 0xd1:
      return b.readInt16BE(at);
    case 0xd2:
      return b.readInt32BE(at);
    default:
      return b.readInt32BE(at) * 4294967296 + b.readUInt32BE(at + 4);
  }
}
