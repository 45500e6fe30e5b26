import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4 decodes each fetched record with Long arithmetic (a Long per
 * varint byte of the timestamp delta, two Long parses of the batch's first
 * offset and timestamp) and merges its headers by spreading a new object per
 * header: about a fifth of the sink's CPU per point, and much of its garbage.
 * The decoder here gives the same record object from plain number
 * arithmetic: offsets and timestamps stay exact (safe integers, else BigInt),
 * and a record it does not expect (a varlong beyond 7 bytes, a `__proto__`
 * header key) goes through kafkajs' own decoder.
 *
 * For consumers only, and before the first fetch: kafkajs loads its fetch
 * decoders at the first fetch, and the batch decoder keeps the record decoder
 * it finds then.
 */
interface Decoder {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
  readVarInt(): number;
  readVarIntBytes(): Buffer | null;
  readVarIntString(): string | null;
}

interface BatchContext {
  firstOffset: string;
  firstTimestamp: string;
  magicByte: number;
  isControlBatch?: boolean;
  timestampType: number;
  maxTimestamp: string;
}

type RecordDecoder = (decoder: Decoder, batchContext?: BatchContext) => unknown;

const require = createRequire(import.meta.url);
const LOG_APPEND_TIME = 1;

let patched = false;

/** True once the fast decoder is in place; false if kafkajs had already loaded its batch decoder. */
export function patchKafkajsRecordDecoder(): boolean {
  if (patched) return true;
  if (require.cache[require.resolve('kafkajs/src/protocol/recordBatch/v0/decoder.js')]) return false;
  const path = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/decoder.js');
  const original = require(path) as RecordDecoder;
  const cached = require.cache[path];
  if (!cached) return false;
  cached.exports = fastRecordDecoder(original);
  patched = true;
  return true;
}

export function fastRecordDecoder(original: RecordDecoder): RecordDecoder {
  return (decoder, batchContext = {} as BatchContext) => {
    const begin = decoder.offset;
    const { firstOffset, firstTimestamp, magicByte, isControlBatch = false, timestampType, maxTimestamp } = batchContext;
    const attributes = decoder.readInt8();
    const timestampDelta = readVarLong(decoder);
    if (timestampDelta === undefined) return reread(original, decoder, begin, batchContext);
    const timestamp = timestampType === LOG_APPEND_TIME && maxTimestamp ? maxTimestamp : plus(firstTimestamp, timestampDelta);
    const offset = plus(firstOffset, decoder.readVarInt());
    const key = decoder.readVarIntBytes();
    const value = decoder.readVarIntBytes();
    const headers = readHeaders(decoder);
    if (headers === undefined) return reread(original, decoder, begin, batchContext);
    return { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord: isControlBatch, batchContext };
  };
}

function reread(original: RecordDecoder, decoder: Decoder, begin: number, batchContext: BatchContext): unknown {
  decoder.offset = begin;
  return original(decoder, batchContext);
}

/** A zigzag varlong of up to 7 bytes (±2^48) as a number; undefined for longer ones. */
function readVarLong(decoder: Decoder): number | undefined {
  const b = decoder.buffer;
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 7; i += 1) {
    const byte = b[decoder.offset++] as number;
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    scale *= 128;
  }
  return undefined;
}

/** A decimal int64 plus a delta, as kafkajs' Long would print it. */
function plus(base: string, delta: number): string {
  const n = Number(base);
  const sum = n + delta;
  if (Number.isSafeInteger(n) && Number.isSafeInteger(sum)) return String(sum);
  return (BigInt(base) + BigInt(delta)).toString();
}

/** Headers as kafkajs gives them: a repeated key's values in an array. Undefined when a key would touch the prototype. */
function readHeaders(decoder: Decoder): Record<string, Buffer | null | (Buffer | null)[]> | undefined {
  const count = decoder.readVarInt();
  const headers: Record<string, Buffer | null | (Buffer | null)[]> = {};
  for (let i = 0; i < count; i += 1) {
    const key = String(decoder.readVarIntString());
    if (key === '__proto__') return undefined;
    const value = decoder.readVarIntBytes();
    const known = headers[key];
    if (known === undefined) headers[key] = value;
    else headers[key] = Array.isArray(known) ? known.concat([value]) : [known, value];
  }
  return headers;
}
