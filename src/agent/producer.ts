import { CompressionTypes, type ICustomPartitioner, type Kafka, Partitioners, type Producer } from 'kafkajs';
import murmur2 from 'kafkajs/src/producer/partitioners/default/murmur2.js';
import { patchKafkajsGzip } from '../kafka/gzipCodecPatch.js';
import { patchKafkajsProduceRequest } from '../kafka/produceRequestPatch.js';
import { sampleHeaders } from '../schema/sample.js';

export interface SampleProducerOptions {
  /** Topic the samples go to. Default `resource`. */
  topic: string;
  /**
   * Message key: this agent's host name, so that each Pi's samples stay in
   * order on one partition. Samples spooled under an earlier --host keep
   * that name in their value (which the sink reads) and travel in order with
   * the new ones.
   */
  key: string;
}

/** Below this, gzip saves nothing: one ~200-byte sample grows by its header. */
export const COMPRESS_FROM_BYTES = 1024;

/**
 * gzip for a spool backlog, none for the lone live sample: compressing one
 * sample costs the Pi about as much CPU as reading the machine and makes the
 * request no smaller.
 */
export function compressionFor(records: Uint8Array[], fromBytes = COMPRESS_FROM_BYTES): CompressionTypes {
  let bytes = 0;
  for (const record of records) bytes += record.byteLength;
  return bytes >= fromBytes ? CompressionTypes.GZIP : CompressionTypes.None;
}

/**
 * kafkajs' default partitioner, remembering the partition of the last string
 * key and partition count. It hashes every message's key with murmur2 in
 * 64-bit Long (BigInt) arithmetic, about a tenth of the agent's CPU per sample
 * in V8's interpreter (docs/PERFORMANCE.md), and the agent's key, its host
 * name, is the same for every sample. The partition depends only on those two.
 * A string key is hashed here as kafkajs does (murmur2 of the key, made
 * positive, modulo the partition count); other messages go to kafkajs'
 * partitioner, made on first need: it draws random bytes as it starts, which
 * would load Node's crypto modules into every agent.
 */
export const rememberingPartitioner: ICustomPartitioner = () => {
  let partitioner: ReturnType<ICustomPartitioner> | undefined;
  let last: { key: string; partitions: number; partition: number } | undefined;
  return (args) => {
    const { key, partition } = args.message;
    if (typeof key !== 'string' || partition != null) {
      partitioner ??= Partitioners.DefaultPartitioner();
      return partitioner(args);
    }
    const partitions = args.partitionMetadata.length;
    if (last?.key === key && last.partitions === partitions) return last.partition;
    last = { key, partitions, partition: (murmur2(key) & 0x7fffffff) % partitions };
    return last.partition;
  };
};

/** Sends encoded samples somewhere; rejects when they were not all accepted. */
export interface RecordSender {
  send(records: Uint8Array[]): Promise<void>;
}

/**
 * Sends encoded samples to Kafka, keyed by host. acks=-1: a send succeeds only once every
 * in-sync replica has the message (min.insync.replicas=2 on the topic).
 * Connects on first use and again after a failure, so a missing broker at
 * start-up is an outage to ride out, not a crash. Not kafkajs' idempotent
 * producer: after a reply lost for longer than its retries, the larger retry
 * the spool makes is refused as out of sequence until the process restarts
 * (docs/agent.md, npm run bench:idempotence); a duplicate, by contrast,
 * overwrites itself in InfluxDB.
 */
export class SampleProducer implements RecordSender {
  private readonly producer: Producer;
  private connected = false;

  constructor(
    kafka: Kafka,
    private readonly options: SampleProducerOptions,
  ) {
    patchKafkajsGzip();
    patchKafkajsProduceRequest();
    this.producer = kafka.producer({
      createPartitioner: rememberingPartitioner,
      // Fail a send within seconds so the agent's own backoff takes over and logs it.
      retry: { retries: 2, initialRetryTime: 300, maxRetryTime: 2_000 },
    });
  }

  async send(records: Uint8Array[]): Promise<void> {
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
    }
    const headers = sampleHeaders();
    try {
      await this.producer.send({
        topic: this.options.topic,
        acks: -1,
        compression: compressionFor(records),
        messages: records.map((value) => ({ key: this.options.key, value: Buffer.from(value), headers })),
      });
    } catch (err) {
      this.connected = false;
      await this.producer.disconnect().catch(() => undefined);
      throw err;
    }
  }

  disconnect(): Promise<void> {
    this.connected = false;
    return this.producer.disconnect();
  }
}
