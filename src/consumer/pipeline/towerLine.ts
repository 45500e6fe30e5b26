import { ENCODING_MSGPACK, HEADER_ENCODING, SCHEMA_VERSION } from '../../schema/sample.js';
import { clockSkewed } from './clock.js';
import type { DecodeOptions, IncomingMessage } from './decode.js';
import { escapeKey, escapeMeasurement } from './lineProtocol.js';

/**
 * The common case straight from the msgpack bytes to its line of line protocol,
 * without the decoded sample, the point or their maps in between: a Tower sample
 * whose host and field names are plain ASCII needing no escaping, whose fields are
 * all numbers, and whose clock agrees with the broker's. Anything else, however
 * slightly off, gives undefined, and the caller takes the general path
 * (decodeMessage, toLine), which says what is wrong and dead-letters it if need be.
 */
export type TowerLineReader = (message: IncomingMessage) => string | undefined;

export function towerLineReader(options: DecodeOptions): TowerLineReader {
  let head: string;
  let region: string;
  try {
    // As toLine writes them: tags sorted, host before region.
    head = `${escapeMeasurement(options.measurement)},host=`;
    region = options.region === '' ? '' : `,region=${escapeKey(options.region)}`;
  } catch {
    return () => undefined;
  }
  return (message) => {
    const value = message.value;
    if (!value || message.headers?.[HEADER_ENCODING]?.toString() !== ENCODING_MSGPACK) return undefined;
    const sample = scan(value);
    if (sample === undefined) return undefined;
    if (clockSkewed(sample.time, Number(message.timestamp), options.maxSkewMs)) return undefined;
    return `${head}${sample.host}${region} ${sample.fields} ${String(sample.time)}`;
  };
}

interface Scanned {
  host: string;
  /** `name=value,…`, every value as String(number), as toLine writes them. */
  fields: string;
  time: number;
}

/** Reads one msgpack value at a time from `bytes`; `pos` is where the next one starts. */
class Cursor {
  pos = 0;
  constructor(readonly bytes: Buffer) {}

  /** A plain name (ASCII, no byte that line protocol escapes, no leading digit, not `__proto__`), or undefined. */
  name(): string | undefined {
    const b = this.bytes;
    const tag = b[this.pos] as number;
    let length: number;
    if (tag >= 0xa0 && tag <= 0xbf) {
      length = tag - 0xa0;
      this.pos += 1;
    } else if (tag === 0xd9 && this.pos + 1 < b.length) {
      length = b[this.pos + 1] as number;
      this.pos += 2;
    } else return undefined;
    const start = this.pos;
    const end = start + length;
    if (length === 0 || end > b.length) return undefined;
    // A leading digit could make an index-like key, which a JS object would reorder.
    if ((b[start] as number) <= 0x39 && (b[start] as number) >= 0x30) return undefined;
    let hash = length;
    for (let i = start; i < end; i += 1) {
      const byte = b[i] as number;
      if (!PLAIN[byte]) return undefined;
      hash = (Math.imul(hash, 31) + byte) | 0;
    }
    this.pos = end;
    return interned(b, start, end, hash);
  }

  /** A finite number of any msgpack number type, decoded as @msgpack/msgpack does, or undefined. */
  number(): number | undefined {
    const b = this.bytes;
    const p = this.pos;
    const tag = b[p] as number;
    if (tag <= 0x7f || tag >= 0xe0) {
      this.pos = p + 1;
      return tag <= 0x7f ? tag : tag - 0x100;
    }
    const size = NUMBER_SIZE[tag - 0xca] ?? 0;
    if (size === 0 || p + 1 + size > b.length) return undefined;
    this.pos = p + 1 + size;
    const n = readNumber(b, tag, p + 1);
    return Number.isFinite(n) ? n : undefined;
  }

  /** The entry count of a map (fixmap or map16), or undefined. */
  mapLength(): number | undefined {
    const b = this.bytes;
    const tag = b[this.pos] as number;
    if (tag >= 0x80 && tag <= 0x8f) {
      this.pos += 1;
      return tag - 0x80;
    }
    if (tag === 0xde && this.pos + 2 < b.length) {
      this.pos += 3;
      return b.readUInt16BE(this.pos - 2);
    }
    return undefined;
  }
}

/** Bytes of a name that need no escaping and no UTF-8 decoding. */
const PLAIN = new Uint8Array(128).map((_, byte) => (byte > 0x20 && byte < 0x7f && byte !== 0x2c && byte !== 0x3d && byte !== 0x5c ? 1 : 0));

/**
 * Host and field names repeat in every message: one string each, found by a hash
 * of the bytes and checked against them, instead of a new string per message.
 */
const names = new Map<number, string>();
const NAMES_KEPT = 100_000;

function interned(b: Buffer, start: number, end: number, hash: number): string | undefined {
  const known = names.get(hash);
  if (known !== undefined && known.length === end - start && sameBytes(known, b, start)) return known;
  const text = b.toString('latin1', start, end);
  if (text === '__proto__') return undefined;
  if (names.size >= NAMES_KEPT) names.clear();
  names.set(hash, text);
  return text;
}

function sameBytes(text: string, b: Buffer, start: number): boolean {
  for (let i = 0; i < text.length; i += 1) if (text.charCodeAt(i) !== b[start + i]) return false;
  return true;
}

/**
 * String(value) of a fraction costs V8 ~10× an integer's, and metrics repeat
 * their values (a disk's percent, a load average): the texts of recent ones.
 */
const fractions = new Map<number, string>();
const FRACTIONS_KEPT = 10_000;

function numberText(value: number): string {
  if (Number.isInteger(value)) return String(value);
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

/** The envelope {v, host, time, fields} in any order and nothing else, or undefined. */
function scan(bytes: Buffer): Scanned | undefined {
  const c = new Cursor(bytes);
  if (c.mapLength() !== 4) return undefined;
  let v: number | undefined;
  let host: string | undefined;
  let time: number | undefined;
  let fields: string | undefined;
  for (let i = 0; i < 4; i += 1) {
    const key = c.name();
    if (key === 'v' && v === undefined) v = c.number();
    else if (key === 'host' && host === undefined) host = c.name();
    else if (key === 'time' && time === undefined) time = c.number();
    else if (key === 'fields' && fields === undefined) fields = scanFields(c);
    else return undefined;
    if (c.pos > bytes.length) return undefined;
  }
  if (c.pos !== bytes.length || v !== SCHEMA_VERSION || host === undefined || fields === undefined) return undefined;
  if (time === undefined || !Number.isSafeInteger(time) || time < 0) return undefined;
  return { host, fields, time };
}

/** Reused between messages: a sample has a dozen fields, so a linear look-up finds repeats. */
const seen: string[] = [];

function scanFields(c: Cursor): string | undefined {
  const count = c.mapLength();
  if (count === undefined || count === 0) return undefined;
  seen.length = 0;
  let text = '';
  for (let i = 0; i < count; i += 1) {
    const name = c.name();
    if (name === undefined || seen.includes(name)) return undefined;
    seen.push(name);
    const value = c.number();
    if (value === undefined) return undefined;
    text += i === 0 ? `${name}=${numberText(value)}` : `,${name}=${numberText(value)}`;
  }
  return text;
}
