import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { createKafka } from '../kafka/client.js';
import { waitForSignal } from '../lifecycle.js';
import type { KafkaSecurity } from '../kafka/security.js';
import type { Logger } from '../log.js';
import { ENCODING_PROBE, HEADER_ENCODING, decodeSample } from '../schema/sample.js';
import { type InfluxTarget, InfluxWriter } from './influxWriter.js';
import { toLine } from './lineProtocol.js';
import { sampleToPoint } from './mapSample.js';

export interface SinkOptions {
  brokers: string[];
  /** Default `resource`. */
  topic: string;
  /** Consumer group; sinks in one group share the partitions. Default `tower-sink`. */
  group: string;
  clientId: string;
  /** Default `labs`. */
  measurement: string;
  influx: InfluxTarget;
  /** Hosts file read before DNS for broker names. Default `/etc/hosts`. */
  hostsFile: string;
  /** TLS and SASL; none by default. */
  security: KafkaSecurity;
}

export const SINK_DEFAULTS = {
  brokers: ['nuc:9090', 'nuc:9091', 'nuc:9092'],
  topic: 'resource',
  group: 'tower-sink',
  clientId: 'tower-sink',
  measurement: 'labs',
  influxUrl: 'http://localhost:8086',
  org: 'GIST',
  bucket: 'Labs',
  db: 'Labs',
  rp: 'autogen',
  v1User: 'tower',
  hostsFile: '/etc/hosts',
} as const;

/** Consumes samples and writes them to InfluxDB until SIGINT/SIGTERM. */
export async function runSink(options: SinkOptions, logger: Logger): Promise<void> {
  const kafka = createKafka({ brokers: options.brokers, clientId: options.clientId, hostsFile: options.hostsFile, security: options.security, logger });
  const consumer = kafka.consumer({ groupId: options.group });
  const writer = new InfluxWriter(options.influx);
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
    logger.info({ group: payload.groupId, assigned: payload.memberAssignment }, 'joined consumer group'),
  );
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: (payload) => writeThenCommit(payload, consumer, writer, options, logger),
  });
  logger.info({ brokers: options.brokers, topic: options.topic, group: options.group, influx: options.influx.url }, 'sink started');
  await waitForSignal();
  logger.info('sink stopping');
  await consumer.disconnect();
}

/**
 * At-least-once: the batch's offset is committed only after InfluxDB accepted
 * its points. If the write throws, nothing is committed and kafkajs fetches
 * the batch again; rewriting a point with the same series and time overwrites it.
 */
async function writeThenCommit(
  { batch, resolveOffset, heartbeat }: EachBatchPayload,
  consumer: Consumer,
  writer: InfluxWriter,
  options: SinkOptions,
  logger: Logger,
): Promise<void> {
  const last = batch.messages.at(-1);
  if (!last) return;
  const lines = batch.messages.flatMap((message) => messageToLines(message, options, logger, batch.partition));
  await writer.write(lines);
  const next = (BigInt(last.offset) + 1n).toString();
  await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
  resolveOffset(last.offset);
  await heartbeat();
  logger.debug({ partition: batch.partition, points: lines.length, committed: next }, 'batch written');
}

function messageToLines(message: KafkaMessage, options: SinkOptions, logger: Logger, partition: number): string[] {
  if (message.headers?.[HEADER_ENCODING]?.toString() === ENCODING_PROBE) return [];
  try {
    if (!message.value) throw new Error('empty message');
    return [toLine(sampleToPoint(decodeSample(message.value), { measurement: options.measurement }))];
  } catch (err) {
    logger.warn({ partition, offset: message.offset, reason: (err as Error).message }, 'skipped a message that is not a Tower sample');
    return [];
  }
}
