import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { DLQ_HEADERS } from '../../src/consumer/pipeline/deadLetters.js';
import { sampleHeaders } from '../../src/schema/sample.js';
import { v1Query, waitFor } from '../../support/harness.js';
import { HOSTILE, prng } from '../../support/hostile.js';
import { createTopic, env, type OutgoingMessage, produce, readAll, startSink, unique } from './sinkHarness.js';

test('10,000 random and hostile messages: every good one lands exactly as sent, every bad one is dead-lettered with a reason', async () => {
  const seed = Number(process.env.TOWER_FUZZ_SEED ?? randomBytes(4).readUInt32LE(0));
  const random = prng(seed);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)] as T;
  const prefix = unique('fz');
  const topic = await createTopic('t-fuzz');
  const dlq = await createTopic('t-fuzz-dlq');
  const base = Date.now() - 120_000; // within the sink's allowed clock skew
  const messages: OutgoingMessage[] = [];
  const good = new Map<string, number>();
  let bad = 0;
  for (let i = 0; i < 10_000; i += 1) {
    const time = base + i;
    if (random() < 0.7) {
      const host = `${prefix}-${pick(HOSTILE)}${Math.floor(random() * 50)}${pick(HOSTILE)}`;
      const cpu = Math.round(random() * 10_000) / 100;
      messages.push({
        key: host,
        value: Buffer.from(encode({ v: 1, host, time, fields: { CPU_Usage: cpu, memory: Math.floor(random() * 4e6) } })),
        headers: sampleHeaders(),
      });
      good.set(`${host}@${time}`, cpu);
    } else {
      messages.push(badMessage(random, pick, prefix, time));
      bad += 1;
    }
  }
  await produce(topic, messages);
  const sink = startSink(topic, dlq, unique('g'), [], { TOWER_LOG_LEVEL: 'error' });
  try {
    let found: Awaited<ReturnType<typeof v1Query>> = [];
    const rows = await waitFor(`${good.size} points`, 120_000, async () => {
      found = await v1Query(env, `SELECT "host", "CPU_Usage" FROM "Labs"."autogen"."labs" WHERE "host" =~ /^${prefix}/ AND time > 0`);
      return found.length >= good.size ? found : undefined;
    }).catch((err: Error) => {
      const landed = new Set(found.map((r) => `${r.host}@${r.time}`));
      const missing = [...good.keys()].filter((k) => !landed.has(k)).slice(0, 5);
      throw new Error(`seed ${seed}: ${err.message}; ${found.length} landed; missing e.g. ${JSON.stringify(missing)}\n${sink.output().slice(-1500)}`);
    });
    assert.equal(rows.length, good.size, `seed ${seed}: extra points`);
    for (const row of rows) {
      const key = `${row.host}@${row.time}`;
      assert.equal(good.get(key), row.CPU_Usage, `seed ${seed}: ${JSON.stringify(key)} landed wrong or was never sent`);
    }
    const dead = await readAll(dlq, bad, 60_000);
    assert.equal(dead.length, bad, `seed ${seed}: dead letters`);
    assert.ok(dead.every((m) => (m.headers?.[DLQ_HEADERS.reason]?.toString() ?? '').length > 0));
  } finally {
    assert.equal(await sink.stop(), 0, sink.output().slice(-2000));
  }
});

function badMessage(random: () => number, pick: <T>(list: T[]) => T, prefix: string, time: number): OutgoingMessage {
  const headers = sampleHeaders();
  const kind = Math.floor(random() * 9);
  switch (kind) {
    case 0:
      return { key: null, value: randomBytes(1 + Math.floor(random() * 200)), headers };
    case 1:
      return { key: 'x', value: Buffer.from(encode({ v: 2, host: `${prefix}-v2`, time, fields: { CPU_Usage: 1 } })), headers };
    case 2:
      return { key: 'x', value: Buffer.from(encode({ v: 1, host: `${prefix}-nl\nlabs,host=evil CPU_Usage=1`, time, fields: { CPU_Usage: 1 } })), headers };
    case 3:
      return {
        key: 'x',
        value: Buffer.from(encode({ v: 1, host: `${prefix}-nan`, time, fields: { CPU_Usage: Number.NaN, memory: Number.POSITIVE_INFINITY } })),
        headers,
      };
    case 4:
      return { key: 'x', value: Buffer.from(encode({ v: 1, host: '', time, fields: { CPU_Usage: 1 } })), headers };
    case 5:
      return { key: 'x', value: Buffer.from(encode({ v: 1, host: `${prefix}-t`, time: pick(['soon', -5, 1.5]), fields: { CPU_Usage: 1 } })), headers };
    case 7:
      return { key: 'x', value: Buffer.from(encode({ v: 1, host: `${prefix}-bs\\${pick([',', ' ', '='])}`, time, fields: { CPU_Usage: 1 } })), headers };
    case 6:
      return { key: 'x', value: pick(['{"free_ram": "lots"}', '[1,2,3]', '{', 'null', '']) };
    default:
      return { key: 'x', value: Buffer.from(encode({ v: 1, host: `${prefix}-s`, time, fields: pick([{}, [], 'cpu', { CPU_Usage: 'high' }]) })), headers };
  }
}
