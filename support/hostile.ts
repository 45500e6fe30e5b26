import { encode } from '@msgpack/msgpack';
import { sampleHeaders } from '../src/schema/sample.js';
import type { SentLog } from './fleet/reconcile.js';

/** The header that marks one burst's messages, so that their dead letters can be found among others'. */
export const BURST_HEADER = 'tower-drill-burst';

export interface BurstMessage {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

export interface Burst {
  messages: BurstMessage[];
  /** The valid samples in the burst (hostile host names, but storable), per host. */
  good: SentLog;
  /** How many messages the sink must dead-letter. */
  bad: number;
}

/** mulberry32: a small seeded generator, so that a burst can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Characters that line protocol, JSON or a shell treat specially, for host names. */
export const HOSTILE = [' ', ',', '=', '"', "'", 'é', '😀', '#', '{', '}', 'tab\t', '=,'];

/**
 * `count` messages for `resource`, about 30 % valid samples from hosts named
 * `<prefix>` plus line-protocol metacharacters, the rest malformed in the ways
 * test/e2e/fuzz.test.ts found: random bytes, a future schema, a newline
 * injection, NaN and Infinity, an empty host, a bad time, a trailing
 * backslash, JSON that is no sample, fields that are not numbers. Every
 * message carries `burstId` in BURST_HEADER. Times are `now` minus up to a
 * minute, one millisecond apart, so that no two valid samples share a point.
 */
export function hostileBurst(seed: number, count: number, prefix: string, burstId: string, now: number): Burst {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  const messages: BurstMessage[] = [];
  const good: SentLog = new Map();
  let bad = 0;
  for (let i = 0; i < count; i += 1) {
    const time = now - 60_000 + i;
    if (random() < 0.3) {
      const host = `${prefix}${pick(HOSTILE)}${Math.floor(random() * 20)}${pick(HOSTILE)}`;
      const sample = { v: 1, host, time, fields: { CPU_Usage: Math.round(random() * 10_000) / 100, memory: Math.floor(random() * 4e6) } };
      messages.push({ key: host, value: Buffer.from(encode(sample)), headers: { ...sampleHeaders(), [BURST_HEADER]: burstId } });
      good.set(host, [...(good.get(host) ?? []), time]);
    } else {
      const message = malformed(random, pick, prefix, time);
      messages.push({ ...message, headers: { ...message.headers, [BURST_HEADER]: burstId } });
      bad += 1;
    }
  }
  return { messages, good, bad };
}

function malformed(random: () => number, pick: <T>(list: readonly T[]) => T, prefix: string, time: number): BurstMessage {
  const headers = sampleHeaders();
  const msgpack = (value: unknown) => ({ key: 'x', value: Buffer.from(encode(value)), headers });
  switch (Math.floor(random() * 9)) {
    case 0:
      return { key: null, value: Buffer.from(Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.floor(random() * 256))), headers };
    case 1:
      return msgpack({ v: 2, host: `${prefix}v2`, time, fields: { CPU_Usage: 1 } });
    case 2:
      return msgpack({ v: 1, host: `${prefix}nl\nlabs,host=evil CPU_Usage=1`, time, fields: { CPU_Usage: 1 } });
    case 3:
      return msgpack({ v: 1, host: `${prefix}nan`, time, fields: { CPU_Usage: Number.NaN, memory: Number.POSITIVE_INFINITY } });
    case 4:
      return msgpack({ v: 1, host: '', time, fields: { CPU_Usage: 1 } });
    case 5:
      return msgpack({ v: 1, host: `${prefix}t`, time: pick(['soon', -5, 1.5]), fields: { CPU_Usage: 1 } });
    case 6:
      return { key: 'x', value: Buffer.from(pick(['{"free_ram": "lots"}', '[1,2,3]', '{', 'null', ''])), headers: {} };
    case 7:
      return msgpack({ v: 1, host: `${prefix}bs\\${pick([',', ' ', '='])}`, time, fields: { CPU_Usage: 1 } });
    default:
      return msgpack({ v: 1, host: `${prefix}s`, time, fields: pick([{}, [], 'cpu', { CPU_Usage: 'high' }]) });
  }
}
