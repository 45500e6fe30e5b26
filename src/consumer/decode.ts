import type { IHeaders } from 'kafkajs';
import { ENCODING_MSGPACK, ENCODING_PROBE, type FieldRejection, type Fields, HEADER_ENCODING, readSample } from '../schema/sample.js';
import { parseLegacyMessage } from './legacy.js';
import type { Point } from './lineProtocol.js';

export interface DecodeOptions {
  /** Default `labs`. */
  measurement: string;
  /** Value of the `region` tag. Default `GIST`. */
  region: string;
  /** Host tag for legacy messages that have no Kafka key. Default `Labs`, as the lab's consumer did. */
  defaultHost: string;
  /** Largest accepted gap between a sample's time and the broker's, ms. Default 5 minutes. */
  maxSkewMs: number;
}

export interface IncomingMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
  /** The broker's timestamp, ms as a string (log-append time on the `resource` topic). */
  timestamp: string;
}

export type Decoded =
  | { kind: 'probe' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'point'; point: Point; format: 'tower' | 'legacy'; rejected: FieldRejection[]; clockCorrected: boolean };

/** One Kafka message → one point, or the reason it cannot be one. Never throws. */
export function decodeMessage(message: IncomingMessage, options: DecodeOptions): Decoded {
  const encoding = message.headers?.[HEADER_ENCODING]?.toString();
  if (encoding === ENCODING_PROBE) return { kind: 'probe' };
  if (!message.value || message.value.length === 0) return { kind: 'invalid', reason: 'empty message' };
  try {
    if (encoding === ENCODING_MSGPACK) {
      const { sample, rejected } = readSample(message.value);
      return toPoint(sample.host, sample.time, sample.fields, 'tower', rejected, message, options);
    }
    if (encoding === undefined && message.value[0] === 0x7b /* { */) {
      const legacy = parseLegacyMessage(message.value.toString('utf8'));
      const host = message.key?.toString('utf8').trim() || options.defaultHost;
      return toPoint(host, legacy.time, legacy.fields, 'legacy', legacy.rejected, message, options);
    }
    return { kind: 'invalid', reason: encoding ? `unknown encoding header ${encoding}` : 'neither a Tower sample nor a legacy JSON message' };
  } catch (err) {
    return { kind: 'invalid', reason: (err as Error).message };
  }
}

function toPoint(
  host: string,
  sampleTime: number | undefined,
  fields: Fields,
  format: 'tower' | 'legacy',
  rejected: FieldRejection[],
  message: IncomingMessage,
  options: DecodeOptions,
): Decoded {
  const brokerTime = Number(message.timestamp);
  const { time, clockCorrected } = saneTime(sampleTime, brokerTime, options.maxSkewMs);
  const pointFields = clockCorrected && sampleTime !== undefined ? { ...fields, sample_time_ms: sampleTime } : fields;
  const point: Point = { measurement: options.measurement, tags: { host, region: options.region }, fields: pointFields, time };
  return { kind: 'point', point, format, rejected, clockCorrected };
}

/**
 * A Pi without a synced clock stamps samples years off. When the sample's time
 * is further than maxSkewMs from the broker's, the broker's time is used.
 */
export function saneTime(sampleTime: number | undefined, brokerTime: number, maxSkewMs: number): { time: number; clockCorrected: boolean } {
  if (sampleTime === undefined) return { time: brokerTime, clockCorrected: false };
  if (!Number.isFinite(brokerTime) || brokerTime <= 0) return { time: sampleTime, clockCorrected: false };
  if (Math.abs(sampleTime - brokerTime) > maxSkewMs) return { time: brokerTime, clockCorrected: true };
  return { time: sampleTime, clockCorrected: false };
}
