// The lean Produce request encoder (src/kafka/produceRequest.ts) against
// kafkajs' own encoder, unpatched, byte for byte: the same arguments and the
// same Date.now() must give the same request body.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import Produce from 'kafkajs/src/protocol/requests/produce/index.js';
import { crc32c, encodeProduceRequest, leanEncodable, type ProduceArgs, type ProduceMessage } from '../../src/kafka/produceRequest.js';

const NOW = 1_764_780_000_123;
const NONE = 0;
const GZIP = 1;
const agentHeaders = { 'content-encoding': 'msgpack', schema: '1' };

async function kafkajsBody(args: ProduceArgs, version = 7): Promise<Buffer> {
  const now = mock.method(Date, 'now', () => NOW);
  try {
    const encoder = (await Produce.protocol({ version })(args).request.encode()) as { buffer: Buffer };
    return encoder.buffer;
  } finally {
    now.mock.restore();
  }
}

function args(topicData: ProduceArgs['topicData'], more: Partial<ProduceArgs> = {}): ProduceArgs {
  return { acks: -1, timeout: 30_000, compression: NONE, producerId: -1, producerEpoch: 0, topicData, ...more };
}

const sampleValue = (i: number) => Buffer.from(Array.from({ length: 195 }, (_, j) => (i * 31 + j * 7) & 0xff));
const agentMessages = (n: number): ProduceMessage[] =>
  Array.from({ length: n }, (_, i) => ({ key: 'raspberrypi', value: sampleValue(i), headers: agentHeaders }));
const onePartition = (messages: ProduceMessage[], partition = 1) => [{ topic: 'resource', partitions: [{ partition, messages, firstSequence: 0 }] }];

async function assertSameBytes(request: ProduceArgs, version = 7): Promise<void> {
  const expected = await kafkajsBody(request, version);
  assert.ok(leanEncodable(request), 'the lean encoder takes these arguments');
  const actual = encodeProduceRequest(request, NOW, gzipSync);
  assert.ok(actual.equals(expected), `bytes differ:\n lean    ${actual.toString('hex')}\n kafkajs ${expected.toString('hex')}`);
}

test('CRC-32C of the standard check input', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.from('xx123456789yy'), 2, 11), 0xe3069283);
});

test("the agent's lone live sample: one record, keyed, two headers, uncompressed", async () => {
  await assertSameBytes(args(onePartition(agentMessages(1))));
});

test('a lingered batch of six samples, gzipped', async () => {
  await assertSameBytes(args(onePartition(agentMessages(6)), { compression: GZIP }));
});

test('a spool backlog: 300 records, offset deltas past one varint byte, gzip and none', async () => {
  await assertSameBytes(args(onePartition(agentMessages(300)), { compression: GZIP }));
  await assertSameBytes(args(onePartition(agentMessages(300))));
});

test('every Produce version from 3 to 7 has the same body', async () => {
  for (const version of [3, 4, 5, 6, 7]) await assertSameBytes(args(onePartition(agentMessages(2))), version);
});

test('keys and values: Buffer, string, multi-byte UTF-8, empty, null, missing', async () => {
  const messages: ProduceMessage[] = [
    { key: Buffer.from([0, 1, 2]), value: 'a string value' },
    { key: 'héllo wörld ✓ 🛰', value: Buffer.alloc(0) },
    { key: '', value: null },
    { key: null, value: 'no key' },
    { value: 'key missing', headers: {} },
  ];
  await assertSameBytes(args(onePartition(messages)));
  await assertSameBytes(args(onePartition(messages), { compression: GZIP }));
});

test('headers: Buffers, strings, repeated keys as arrays, multi-byte keys', async () => {
  const messages: ProduceMessage[] = [
    { key: 'k', value: 'v', headers: { a: Buffer.from([9, 8, 7]), ключ: 'значение', many: ['one', Buffer.from('two'), ''] } },
    { key: 'k', value: 'v', headers: { empty: [] } },
  ];
  await assertSameBytes(args(onePartition(messages)));
});

test('values larger than the reused buffer, record lengths of three varint bytes', async () => {
  const big = Buffer.alloc(70_000, 0x5a);
  await assertSameBytes(args(onePartition([{ key: 'raspberrypi', value: big }, ...agentMessages(2)])));
  await assertSameBytes(args(onePartition([{ key: 'raspberrypi', value: big }]), { compression: GZIP }));
});

test('several topics and partitions, an idempotent producer id, epoch and sequences, other acks and timeout', async () => {
  const topicData = [
    {
      topic: 'resource',
      partitions: [
        { partition: 0, messages: agentMessages(3), firstSequence: 17 },
        { partition: 2, messages: agentMessages(1), firstSequence: 2_000_000_000 },
      ],
    },
    { topic: 'другой-topic', partitions: [{ partition: 5, messages: agentMessages(4) }] },
  ];
  await assertSameBytes(args(topicData, { acks: 1, timeout: 5_000, producerId: '4611686018427387904', producerEpoch: 3 }));
  await assertSameBytes(args(topicData, { producerId: 12_345, compression: GZIP }));
  await assertSameBytes(args(topicData, { producerId: undefined, producerEpoch: undefined }));
});

test('the reused buffer leaves nothing of a longer request in a shorter one', async () => {
  encodeProduceRequest(args(onePartition(agentMessages(50))), NOW, gzipSync);
  await assertSameBytes(args(onePartition(agentMessages(1))));
});

test('what the lean encoder leaves to kafkajs', () => {
  const ok = args(onePartition(agentMessages(1)));
  assert.equal(leanEncodable(ok), true);
  assert.equal(leanEncodable({ ...ok, transactionalId: 'tx' }), false);
  for (const compression of [2, 3, 4]) assert.equal(leanEncodable({ ...ok, compression }), false);
  assert.equal(leanEncodable({ ...ok, producerId: { value: -1n } }), false);
  assert.equal(leanEncodable({ ...ok, producerId: 1.5 }), false);
  assert.equal(leanEncodable({ ...ok, producerId: 'twelve' }), false);
  const withMessage = (m: object) => args(onePartition([m as ProduceMessage]));
  assert.equal(leanEncodable(withMessage({ key: 'k', value: 'v', timestamp: NOW })), false);
  assert.equal(leanEncodable(withMessage({ key: 'k', value: 'v', timestamp: String(NOW) })), false);
  assert.equal(leanEncodable(withMessage({ key: 42, value: 'v' })), false);
  assert.equal(leanEncodable(withMessage({ key: 'k', value: new Uint8Array([1]) })), false);
  assert.equal(leanEncodable(withMessage({ key: 'k', value: 'v', headers: { h: null } })), false);
  assert.equal(leanEncodable(withMessage({ key: 'k', value: 'v', headers: { h: [Buffer.from('x'), 7] } })), false);
});
