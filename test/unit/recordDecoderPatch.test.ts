import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { fastRecordDecoder } from '../../src/kafka/recordDecoderPatch.js';

const require = createRequire(import.meta.url);
type Any = (...args: unknown[]) => unknown;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => { buffer: Buffer; offset: number };
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => { buffer: Buffer };
const original = require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js') as Any;
const fast = fastRecordDecoder(original as never) as Any;

const context = (over: object = {}) => ({
  firstOffset: '4294967290',
  firstTimestamp: '1764000000000',
  magicByte: 2,
  timestampType: 0,
  maxTimestamp: '1764000009999',
  isControlBatch: false,
  ...over,
});

function both(record: object, ctx: object): [unknown, unknown] {
  const bytes = encodeRecord(record).buffer;
  // As the batch decoder does: the varint length first, then a decoder over the record alone.
  const outer = new Decoder(bytes) as unknown as { readVarIntBytes(): Buffer };
  const inner = outer.readVarIntBytes();
  return [original(new Decoder(inner), ctx), fast(new Decoder(inner), ctx)];
}

test("the fast record decoder gives kafkajs' own record objects", () => {
  const records: object[] = [
    {
      offsetDelta: 0,
      timestampDelta: 0,
      key: Buffer.from('pi-1'),
      value: Buffer.from([1, 2, 3]),
      headers: { 'tower-encoding': 'msgpack', 'tower-schema': '1' },
    },
    { offsetDelta: 7, timestampDelta: -5, key: null, value: Buffer.from('x'), headers: {} },
    { offsetDelta: 70_000, timestampDelta: 2 ** 40, key: Buffer.alloc(0), value: null, headers: { a: ['1', '2', '3'], b: '' } },
    { offsetDelta: 1, timestampDelta: 2 ** 50, key: Buffer.from('k'), value: Buffer.from('v'), headers: { constructor: 'c' } },
    { offsetDelta: 1, timestampDelta: 3, key: Buffer.from('k'), value: Buffer.from('v'), headers: { ['__proto__']: 'p' } },
  ];
  const contexts = [context(), context({ timestampType: 1 }), context({ firstOffset: '9007199254740990', firstTimestamp: '-1' })];
  for (const record of records) {
    for (const ctx of contexts) {
      const [expected, actual] = both(record, ctx);
      assert.deepEqual(actual, expected, JSON.stringify({ record, ctx }));
    }
  }
});
