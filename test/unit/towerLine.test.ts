import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { type DecodeOptions, decodeMessage, type IncomingMessage } from '../../src/consumer/pipeline/decode.js';
import { toLine } from '../../src/consumer/pipeline/lineProtocol.js';
import { towerLineWriter } from '../../src/consumer/pipeline/towerLine.js';
import { LineBatchBuilder } from '../../src/influx/lineBatch.js';
import { FetchedRecord, lazyBatchDecoder } from '../../src/kafka/recordBatchPatch.js';
import { encodeSample, SCHEMA_VERSION, sampleHeaders } from '../../src/schema/sample.js';

const options: DecodeOptions = { measurement: 'labs', region: 'GIST', defaultHost: 'Labs', maxSkewMs: 300_000 };
const now = 1_764_000_000_000;
const message = (value: Uint8Array, timestamp = now): IncomingMessage => ({
  key: null,
  value: Buffer.from(value),
  headers: Object.fromEntries(Object.entries(sampleHeaders()).map(([k, v]) => [k, Buffer.from(v)])),
  timestamp: String(timestamp),
});

/**
 * The fast path's line for the message, or undefined when it gives up; either
 * way the builder holds only the lines written whole (a line before and one
 * after prove a give-up leaves nothing behind).
 */
function fastReader(o: DecodeOptions = options) {
  const write = towerLineWriter(o);
  return (m: IncomingMessage): string | undefined => {
    const out = new LineBatchBuilder(16);
    out.addLine('before');
    const taken = write(m, out);
    out.addLine('after');
    const batch = out.build();
    assert.equal(batch.count, taken ? 3 : 2);
    assert.equal(batch.line(0), 'before');
    assert.equal(batch.line(batch.count - 1), 'after');
    return taken ? batch.line(1) : undefined;
  };
}

/** What the general path writes for the message, or undefined when it writes nothing. */
function generalLine(m: IncomingMessage): string | undefined {
  const decoded = decodeMessage(m, options);
  if (decoded.kind !== 'point' || decoded.rejected.length > 0 || decoded.clockCorrected) return undefined;
  try {
    return toLine(decoded.point);
  } catch {
    return undefined;
  }
}

test("an agent's sample takes the fast path and gives the general path's line", () => {
  const fields = { CPU_Usage: 12.5, memory: 3_000_123, rx: 2 ** 40, load1: -0.25, tiny: -3, neg: -200, big: -(2 ** 40) };
  const m = message(encodeSample({ v: SCHEMA_VERSION, host: 'pi-01', time: now, fields }));
  const line = fastReader()(m);
  assert.equal(
    line,
    'labs,host=pi-01,region=GIST CPU_Usage=12.5,memory=3000123,rx=1099511627776,load1=-0.25,tiny=-3,neg=-200,big=-1099511627776 1764000000000',
  );
  assert.equal(line, generalLine(m));
});

test('anything unusual is left to the general path', () => {
  const read = fastReader();
  const cases: unknown[] = [
    { v: 1, host: 'pi 1', time: now, fields: { a: 1 } },
    { v: 1, host: 'pi,1', time: now, fields: { a: 1 } },
    { v: 1, host: 'pi-ü', time: now, fields: { a: 1 } },
    { v: 1, host: '', time: now, fields: { a: 1 } },
    { v: 1, host: 'pi', time: now, fields: { 'a=b': 1 } },
    { v: 1, host: 'pi', time: now, fields: { '2': 1, a: 2 } },
    { v: 1, host: 'pi', time: now, fields: { a: 'x' } },
    { v: 1, host: 'pi', time: now, fields: { a: Number.NaN } },
    { v: 1, host: 'pi', time: now, fields: {} },
    { v: 2, host: 'pi', time: now, fields: { a: 1 } },
    { v: 1, host: 'pi', time: now + 3_600_000, fields: { a: 1 } },
    { v: 1, host: 'pi', time: 1.5, fields: { a: 1 } },
    { v: 1, host: 'pi', fields: { a: 1 } },
    { v: 1, host: 'pi', time: now, fields: { a: 1 }, extra: 1 },
    { v: 1, fields: { a: 1 }, host: 'pi', time: now },
    { v: 1, host: 'pi', time: now, fields: { a: 1, b: 2, a2: 3, b2: 4, __proto__x: 5 }, v2: 1 },
    { v: 1, host: 'pi', time: now, fields: { a: 1, ['__proto__']: 2 } },
    [1, 'pi', now],
  ];
  for (const raw of cases) assert.equal(read(message(encode(raw))), undefined, JSON.stringify(raw));
  assert.equal(read(message(Buffer.concat([encode({ v: 1, host: 'pi', time: now, fields: { a: 1 } }), Buffer.from([0])]))), undefined, 'trailing byte');
  assert.equal(read({ ...message(encode({ v: 1, host: 'pi', time: now, fields: { a: 1 } })), headers: {} }), undefined, 'no encoding header');
});

test('on random samples and their truncations, the fast path gives the general line or nothing', () => {
  const read = fastReader();
  let random = 42;
  const next = () => {
    random = (random * 1103515245 + 12345) % 2 ** 31;
    return random / 2 ** 31;
  };
  const values = [0, -1, 1.5, 255, 65_536, 2 ** 33, -(2 ** 33), -127, Number.MAX_SAFE_INTEGER, 1e-7, 3.4e38];
  let fast = 0;
  for (let i = 0; i < 2000; i += 1) {
    const fields: Record<string, number> = {};
    for (let f = 0; f < 1 + Math.floor(next() * 14); f += 1) fields[`f${f}_${Math.floor(next() * 3)}`] = values[Math.floor(next() * values.length)] as number;
    const time = now + Math.floor(next() * 1000);
    // The agent's order, or one with the fields before the host, which the fast path leaves alone.
    const sample = next() < 0.8 ? { v: 1, host: `pi-${i}-${'x'.repeat(next() * 40)}`, time, fields } : { time, fields, host: `pi-${i}`, v: 1 };
    const bytes = encode(sample, { forceFloat32: next() < 0.3 });
    const cut = next() < 0.2 ? bytes.subarray(0, Math.floor(next() * bytes.length)) : bytes;
    const m = message(cut);
    const line = read(m);
    if (line !== undefined) {
      fast += 1;
      assert.equal(line, generalLine(m));
    }
  }
  assert.ok(fast > 1000 && fast < 2000 * 0.9, `fast path taken ${fast} times`);
});

test('a fetched record is read in place, to the same line as its Buffer, and never past its value', async () => {
  const require = createRequire(import.meta.url);
  const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: string): unknown };
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch(o: object): Promise<{ buffer: Buffer }> };
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => unknown;
  const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => { buffer: Buffer; offset: number };
  const { lookupCodecByAttributes } = require('kafkajs/src/protocol/message/compression/index.js');
  const decode = lazyBatchDecoder(async () => assert.fail('kafkajs’ own decoder was used'), lookupCodecByAttributes);
  const full = encodeSample({ v: SCHEMA_VERSION, host: 'pi-01', time: now, fields: { CPU_Usage: 12.5, memory: 3_000_123 } });
  const values = Array.from({ length: full.length + 1 }, (_, n) => full.subarray(0, n));
  const headers = Object.fromEntries(Object.entries(sampleHeaders()));
  const records = values.map((value, i) => Record({ offsetDelta: i, timestampDelta: 0, key: Buffer.from('pi-01'), value: Buffer.from(value), headers }));
  // A last record whose header says probe: its sample must not be written.
  records.push(Record({ offsetDelta: values.length, key: null, value: Buffer.from(full), headers: { ...headers, 'tower-encoding': 'probe' } }));
  const { buffer } = await RecordBatch({
    firstOffset: Long.fromValue('0'),
    firstTimestamp: now,
    maxTimestamp: now,
    lastOffsetDelta: records.length - 1,
    records,
  });
  const { records: fetched } = (await decode(new Decoder(buffer))) as { records: FetchedRecord[] };
  const read = fastReader();
  const lines = fetched.map((record) => {
    assert.ok(record instanceof FetchedRecord);
    const inPlace = read(record as unknown as IncomingMessage);
    const asBuffer = read({ key: record.key, value: record.value, headers: record.headers as IncomingMessage['headers'], timestamp: record.timestamp });
    assert.equal(inPlace, asBuffer, `record ${record.offset}`);
    return inPlace;
  });
  assert.deepEqual(
    lines.map((l, i) => (l === undefined ? undefined : i)).filter((i) => i !== undefined),
    [full.length],
    'only the whole sample takes the fast path',
  );
});
