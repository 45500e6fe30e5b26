import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import kafkajs, { CompressionTypes, Partitioners } from 'kafkajs';
import { COMPRESS_FROM_BYTES, compressionFor, rememberingPartitioner } from '../../src/agent/producer.js';
import { patchKafkajsGzip } from '../../src/kafka/gzipCodecPatch.js';
import { encodeSample, SCHEMA_VERSION } from '../../src/schema/sample.js';

const sample = (time: number) =>
  encodeSample({
    v: SCHEMA_VERSION,
    host: 'raspberrypi',
    time,
    fields: {
      CPU_Usage: 3.5,
      memory: 3_612_344,
      mem_used_percent: 9.1,
      load1: 0.12,
      tx: 123_456_789,
      rx: 987_654_321,
      tx_dropped: 0,
      rx_dropped: 0,
      txError: 0,
      rxError: 0,
      disk: 41.3,
      temp: 48.7,
    },
  });

test('a lone live sample is sent uncompressed: gzip would make it bigger', () => {
  const one = sample(Date.now());
  assert.ok(gzipSync(one).byteLength >= one.byteLength * 0.9, 'gzip shrinks one sample after all; revisit the threshold');
  assert.equal(compressionFor([one]), CompressionTypes.None);
});

test('a spool backlog is gzipped', () => {
  const backlog = Array.from({ length: 60 }, (_, i) => sample(1_700_000_000_000 + i * 1000));
  const raw = backlog.reduce((n, r) => n + r.byteLength, 0);
  assert.ok(raw >= COMPRESS_FROM_BYTES);
  assert.ok(gzipSync(Buffer.concat(backlog)).byteLength < raw / 2, 'a backlog compresses well');
  assert.equal(compressionFor(backlog), CompressionTypes.GZIP);
});

test('the threshold counts bytes across records and can be changed', () => {
  const six = Array.from({ length: 6 }, (_, i) => sample(i));
  assert.equal(compressionFor(six), CompressionTypes.GZIP, `${six.length} samples of ~${six[0]?.byteLength} bytes`);
  assert.equal(compressionFor(six, 1_000_000), CompressionTypes.None);
  assert.equal(compressionFor([], 0), CompressionTypes.GZIP);
});

test('the synchronous gzip codec writes what gunzip reads back, and is installed once', async () => {
  patchKafkajsGzip();
  patchKafkajsGzip();
  const codec = kafkajs.CompressionCodecs[CompressionTypes.GZIP]() as {
    compress(e: { buffer: Buffer }): Promise<Buffer>;
    decompress(b: Buffer): Promise<Buffer>;
  };
  const batch = Buffer.concat(Array.from({ length: 6 }, (_, i) => sample(i)));
  const compressed = await codec.compress({ buffer: batch });
  assert.deepEqual(gunzipSync(compressed), batch);
  assert.deepEqual(await codec.decompress(compressed), batch);
});

test("the remembering partitioner picks kafkajs' default partition for every key and partition count", () => {
  const remembering = rememberingPartitioner();
  const kafkajsDefault = Partitioners.DefaultPartitioner();
  const metadata = (n: number) => Array.from({ length: n }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 1, replicas: [1], isr: [1] }));
  // The last key is the next count's first: a count that changes under the same key must count.
  const keys = ['raspberrypi', 'raspberrypi', 'pi-kitchen', 'é-✓', '', 'pi-kitchen', 'raspberrypi'];
  for (const partitions of [3, 3, 7, 1, 12, 3]) {
    for (const key of keys) {
      const args = { topic: 'resource', partitionMetadata: metadata(partitions), message: { key, value: 'v' } };
      assert.equal(remembering(args), kafkajsDefault(args), `key ${JSON.stringify(key)}, ${partitions} partitions`);
    }
  }
  const explicit = { topic: 'resource', partitionMetadata: metadata(3), message: { key: 'raspberrypi', value: 'v', partition: 2 } };
  assert.equal(remembering(explicit), 2);
  const bufferKey = { topic: 'resource', partitionMetadata: metadata(5), message: { key: Buffer.from('raspberrypi'), value: 'v' } };
  assert.equal(remembering(bufferKey), kafkajsDefault(bufferKey));
});
