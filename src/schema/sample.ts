import { decode, Encoder } from '@msgpack/msgpack';

/**
 * The wire schema shared by tower-agent (producer) and tower-sink (consumer).
 *
 * One Kafka message carries one sample of one host, msgpack-encoded, keyed by
 * the host name. Headers name the encoding and the schema version so that a
 * consumer can tell Tower messages from the lab's legacy JSON ones.
 */
export const SCHEMA_VERSION = 1;
export const HEADER_ENCODING = 'tower-encoding';
export const HEADER_SCHEMA = 'tower-schema';
export const ENCODING_MSGPACK = 'msgpack';
/** `tower-agent doctor`'s test message: consumers skip it. */
export const ENCODING_PROBE = 'probe';

export type Fields = Record<string, number>;

export interface Sample {
  /** Schema version, always SCHEMA_VERSION for samples this build writes. */
  v: typeof SCHEMA_VERSION;
  /** Host name of the machine the sample describes. */
  host: string;
  /** Sample time on the sampling machine, ms since the Unix epoch. */
  time: number;
  /** Metric name → value, e.g. CPU_Usage (0–100) and memory (MemAvailable, kB). */
  fields: Fields;
}

export class SchemaError extends Error {
  override name = 'SchemaError';
}

export function sampleHeaders(): Record<string, string> {
  return { [HEADER_ENCODING]: ENCODING_MSGPACK, [HEADER_SCHEMA]: String(SCHEMA_VERSION) };
}

/** One encoder for the process: `encode()` builds a new one, with its buffers, for every call. */
const encoder = new Encoder();

export function encodeSample(sample: Sample): Uint8Array {
  return encoder.encode(validateSample(sample));
}

/** A field that could not be kept, and why. */
export interface FieldRejection {
  field: string;
  reason: string;
}

/** Strict decoding: any bad field rejects the sample. */
export function decodeSample(bytes: Uint8Array): Sample {
  return validateSample(unpack(bytes));
}

/**
 * Lenient decoding for consumers: the envelope (version, host, time) must be
 * right, but a bad field is dropped and reported instead of losing its
 * neighbours. Throws when no field survives.
 */
export function readSample(bytes: Uint8Array): { sample: Sample; rejected: FieldRejection[] } {
  return readEnvelope(unpack(bytes));
}

function unpack(bytes: Uint8Array): unknown {
  try {
    return decode(bytes);
  } catch (err) {
    throw new SchemaError(`not msgpack: ${(err as Error).message}`);
  }
}

export function validateSample(raw: unknown): Sample {
  const { sample, rejected } = readEnvelope(raw);
  if (rejected.length > 0) throw new SchemaError(rejected.map((r) => `field ${r.field} ${r.reason}`).join('; '));
  return sample;
}

function readEnvelope(raw: unknown): { sample: Sample; rejected: FieldRejection[] } {
  if (!isRecord(raw)) throw new SchemaError('sample is not a map');
  if (raw.v !== SCHEMA_VERSION) {
    throw new SchemaError(`unsupported schema version ${String(raw.v)} (this build reads v${SCHEMA_VERSION})`);
  }
  const { host, time, fields } = raw;
  if (typeof host !== 'string' || host.length === 0) throw new SchemaError('host must be a non-empty string');
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) {
    throw new SchemaError('time must be a non-negative integer of ms since the epoch');
  }
  if (!isRecord(fields)) throw new SchemaError('fields must be a map');
  const clean: Fields = {};
  const rejected: FieldRejection[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'number' && Number.isFinite(value)) clean[name] = value;
    else rejected.push({ field: name, reason: 'must be a finite number' });
  }
  if (Object.keys(clean).length === 0)
    throw new SchemaError(rejected.length ? `no usable field (${rejected.map((r) => r.field).join(', ')} not finite numbers)` : 'sample has no fields');
  return { sample: { v: SCHEMA_VERSION, host, time, fields: clean }, rejected };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
