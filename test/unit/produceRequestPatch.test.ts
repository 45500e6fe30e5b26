// kafkajs' Produce request as patched by src/kafka/produceRequestPatch.ts:
// the lean body where it applies, kafkajs' own Encoder where it does not, the
// same bytes either way.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import kafkajs, { CompressionTypes } from 'kafkajs';
import Produce from 'kafkajs/src/protocol/requests/produce/index.js';
import { patchKafkajsGzip } from '../../src/kafka/gzipCodecPatch.js';
import { patchKafkajsProduceRequest } from '../../src/kafka/produceRequestPatch.js';

const kafkajsProtocol = Produce.protocol;
const kafkajsGzip = kafkajs.CompressionCodecs[CompressionTypes.GZIP];
patchKafkajsProduceRequest();

const NOW = 1_764_780_000_123;
const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ key: 'raspberrypi', value: Buffer.alloc(200, i), headers: { schema: '1' } }));
const request = (more: object = {}, n = 1) => ({
  acks: -1,
  timeout: 30_000,
  compression: CompressionTypes.None,
  producerId: -1,
  producerEpoch: 0,
  topicData: [{ topic: 'resource', partitions: [{ partition: 0, messages: messages(n), firstSequence: 0 }] }],
  ...more,
});

/** What encode() gives, at a fixed Date.now(): whether it is kafkajs' Encoder, and the bytes. */
async function encode(protocol: typeof Produce.protocol, version: number, args: object): Promise<{ kafkajsEncoder: boolean; bytes: Buffer }> {
  const now = mock.method(Date, 'now', () => NOW);
  try {
    const made = protocol({ version })(args);
    const payload = (await made.request.encode()) as { buf: Buffer; buffer: Buffer; constructor: { name: string } };
    assert.ok(Buffer.isBuffer(payload.buf), 'kafkajs frames anything with a Buffer in .buf');
    return { kafkajsEncoder: payload.constructor.name === 'Encoder', bytes: payload.buffer };
  } finally {
    now.mock.restore();
  }
}

async function assertPath(version: number, args: object, lean: boolean): Promise<void> {
  const patched = await encode(Produce.protocol, version, args);
  const own = await encode(kafkajsProtocol, version, args);
  assert.equal(patched.kafkajsEncoder, !lean, lean ? 'expected the lean encoder' : "expected kafkajs' encoder");
  assert.ok(own.kafkajsEncoder);
  assert.ok(patched.bytes.equals(own.bytes), 'the same bytes as kafkajs');
}

test('versions 3 to 7 get the lean body; the same bytes as kafkajs', async () => {
  for (const version of [3, 4, 5, 6, 7]) await assertPath(version, request(), true);
});

test('versions before 3 are left to kafkajs', async () => {
  await assertPath(2, request(), false);
});

test('what the lean encoder does not handle goes through kafkajs: a message timestamp, a transaction', async () => {
  const timestamped = request({ topicData: [{ topic: 'resource', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v', timestamp: NOW - 5 }] }] }] });
  await assertPath(7, timestamped, false);
  await assertPath(7, request({ transactionalId: 'tx-1' }), false);
});

test("gzip is lean only with the synchronous codec; with kafkajs' stream it is kafkajs' encoder", async () => {
  kafkajs.CompressionCodecs[CompressionTypes.GZIP] = kafkajsGzip;
  await assertPath(7, request({ compression: CompressionTypes.GZIP }, 6), false);
  patchKafkajsGzip();
  await assertPath(7, request({ compression: CompressionTypes.GZIP }, 6), true);
});

test('installing twice wraps once', () => {
  const installed = Produce.protocol;
  patchKafkajsProduceRequest();
  assert.equal(Produce.protocol, installed);
});
