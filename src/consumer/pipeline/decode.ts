import type { IHeaders } from 'kafkajs';
import { ENCODING_MSGPACK, ENCODING_PROBE, type FieldRejection, type Fields, HEADER_ENCODING, readSample } from '../../schema/sample.js';
import { clockSkewed } from './clock.js';
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
  if (clockSkewed(sampleTime, brokerTime, maxSkewMs)) return { time: brokerTime, clockCorrected: true };
  return { time: sampleTime, clockCorrected: false };
}

/**
 * Samples moved to the broker's time must not overwrite each other: a Pi that
 * sends its spool in one request gets one log-append time for all of it. Within
 * each host's group of equal broker times, the newest sample keeps the broker
 * time and older ones move back by their own gaps, as the Pi measured them.
 */
export function spreadCorrectedTimes(decoded: Decoded[]): Decoded[] {
  const key = (p: Point) => `${p.tags.host}\u0000${p.time}`;
  const newest = new Map<string, number>();
  for (const d of decoded) {
    if (d.kind !== 'point' || !d.clockCorrected) continue;
    const sampleTime = d.point.fields.sample_time_ms as number;
    newest.set(key(d.point), Math.max(newest.get(key(d.point)) ?? Number.NEGATIVE_INFINITY, sampleTime));
  }
  if (newest.size === 0) return decoded;
  return decoded.map((d) => {
    if (d.kind !== 'point' || !d.clockCorrected) return d;
    const gap = (newest.get(key(d.point)) as number) - (d.point.fields.sample_time_ms as number);
    return { ...d, point: { ...d.point, time: d.point.time - gap } };
  });
}
