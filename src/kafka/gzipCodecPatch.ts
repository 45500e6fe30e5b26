import { gzipSync } from 'node:zlib';
import kafkajs, { CompressionTypes } from 'kafkajs';

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/**
 * kafkajs gzips through zlib's asynchronous stream, which for the few KB of
 * a lingered batch costs far more than the deflate itself: a stream, a hop
 * to libuv's thread pool and its callbacks (about 0.2 ms of the agent's
 * main thread per request, docs/PERFORMANCE.md). The agent's producer compresses the
 * same bytes at the same level in one synchronous call; decompression, which
 * the agent never does, stays kafkajs' own.
 */
export function patchKafkajsGzip(): void {
  // A default import: Node's CommonJS export detection misses kafkajs' CompressionCodecs.
  const codecs = kafkajs.CompressionCodecs;
  const current = codecs[CompressionTypes.GZIP]() as Codec & { towerSync?: true };
  if (current.towerSync) return;
  const codec = { towerSync: true, compress: async (encoder: { buffer: Buffer }) => gzipSync(encoder.buffer), decompress: current.decompress };
  codecs[CompressionTypes.GZIP] = () => codec;
}
