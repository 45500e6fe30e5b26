import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { FetchedRecord, lazyBatchDecoder } from '../../src/kafka/recordBatchPatch.js';

const require = createRequire(import.meta.url);
type KafkaDecoder = { buffer: Buffer; offset: number };
type BatchDecoder = (d: KafkaDecoder) => Promise<unknown>;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => KafkaDecoder;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: string): unknown };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch(o: object): Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => unknown;
const { lookupCodecByAttributes } = require('kafkajs/src/protocol/message/compression/index.js');
const original = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as BatchDecoder;
const lazy = lazyBatchDecoder(original, lookupCodecByAttributes);

const GZIP = 1;
const records: { offsetDelta: number; timestampDelta: number; key: Buffer | null; value: Buffer | null; headers: Record<string, string | string[]> }[] = [
  { offsetDelta: 0, timestampDelta: 0, key: Buffer.from('pi-1'), value: Buffer.from([1, 2, 3]), headers: { 'tower-encoding': 'msgpack', 'tower-schema': '1' } },
  { offsetDelta: 1, timestampDelta: -5, key: null, value: Buffer.from('x'), headers: {} },
  { offsetDelta: 2, timestampDelta: 2 ** 40, key: Buffer.alloc(0), value: null, headers: { a: ['1', '2', '3'], b: '' } },
  { offsetDelta: 3, timestampDelta: 7, key: Buffer.from('k'), value: Buffer.from('v'), headers: { constructor: 'c' } },
  { offsetDelta: 4, timestampDelta: 3, key: Buffer.from('k'), value: Buffer.alloc(300, 7), headers: { ['__proto__']: 'p' } },
];

async function batchBytes(options: { compression?: number; firstOffset?: string; transactional?: boolean; logAppendTime?: boolean } = {}): Promise<Buffer> {
  const { buffer } = await RecordBatch({
    compression: options.compression ?? 0,
    firstOffset: Long.fromValue(options.firstOffset ?? '4294967290'),
    firstTimestamp: 1_764_000_000_000,
    maxTimestamp: 1_764_000_009_999,
    lastOffsetDelta: records.length - 1,
    transactional: options.transactional ?? false,
    records: records.map(Record),
  });
  if (options.logAppendTime) buffer.writeInt16BE(buffer.readInt16BE(21) | 0x8, 21);
  return buffer;
}

/** A record as plain data, read through the properties kafkajs' message objects have. */
const plain = (r: Record<string, unknown>) => ({
  magicByte: r.magicByte,
  attributes: r.attributes,
  timestamp: r.timestamp,
  offset: r.offset,
  key: r.key,
  value: r.value,
  headers: r.headers,
  isControlRecord: r.isControlRecord,
  batchContext: r.batchContext,
});

/** Both decoders on the same bytes (two batches in a row, as a fetch response holds them): the results and where each left the decoder. */
async function both(bytes: Buffer) {
  const twice = Buffer.concat([bytes, bytes]);
  const run = async (decode: BatchDecoder) => {
    const d = new Decoder(twice);
    const first = (await decode(d)) as { records: Record<string, unknown>[] };
    const afterFirst = d.offset;
    await decode(d);
    return { batch: { ...first, records: first.records.map(plain) }, afterFirst, end: d.offset, kinds: first.records.map((r) => r instanceof FetchedRecord) };
  };
  return { expected: await run(original), actual: await run(lazy) };
}

test("the lazy batch decoder reads what kafkajs' own decoder reads, with and without gzip and log-append time", async () => {
  for (const options of [{}, { compression: GZIP }, { logAppendTime: true }, { compression: GZIP, firstOffset: '0' }]) {
    const { expected, actual } = await both(await batchBytes(options));
    assert.deepEqual(actual.batch, expected.batch, JSON.stringify(options));
    assert.equal(actual.afterFirst, expected.afterFirst);
    assert.equal(actual.end, expected.end);
    assert.ok(actual.kinds.every(Boolean), 'every record is a FetchedRecord');
  }
});

test('a transactional batch, an offset beyond 2^53 and a malformed record go through kafkajs’ own decoder', async () => {
  const transactional = await both(await batchBytes({ transactional: true }));
  assert.deepEqual(transactional.actual, transactional.expected);
  assert.ok(transactional.actual.kinds.every((k) => !k));
  const huge = await both(await batchBytes({ firstOffset: '9007199254740990' }));
  assert.deepEqual(huge.actual, huge.expected);
  const malformed = await batchBytes();
  malformed[61] = 0x7e; // the first record's length now runs past the batch
  const run = (decode: BatchDecoder) =>
    decode(new Decoder(malformed)).then(
      (r) => ({ ok: (r as { records: object[] }).records.map((x) => x instanceof FetchedRecord) }),
      (e: Error) => ({ error: e.name }),
    );
  assert.deepEqual(await run(lazy), await run(original));
});

test('a partial batch at the end of a fetch fails as kafkajs’ own decoder fails', async () => {
  const bytes = await batchBytes();
  const partial = bytes.subarray(0, bytes.length - 10);
  await assert.rejects(lazy(new Decoder(partial)), { name: 'KafkaJSPartialMessageError' });
  await assert.rejects(original(new Decoder(partial)), { name: 'KafkaJSPartialMessageError' });
});

test('hasHeader reads a header in place: once and with exactly that value', async () => {
  const d = new Decoder(await batchBytes());
  const batch = (await lazy(d)) as { records: FetchedRecord[] };
  const [first, second, third] = batch.records as [FetchedRecord, FetchedRecord, FetchedRecord];
  const key = Buffer.from('tower-encoding');
  assert.equal(first.hasHeader(key, Buffer.from('msgpack')), true);
  assert.equal(first.hasHeader(key, Buffer.from('msgpac')), false);
  assert.equal(second.hasHeader(key, Buffer.from('msgpack')), false);
  assert.equal(third.hasHeader(Buffer.from('a'), Buffer.from('1')), false, 'a repeated header is not one value');
  assert.equal(third.hasHeader(Buffer.from('b'), Buffer.from('')), true);
});
