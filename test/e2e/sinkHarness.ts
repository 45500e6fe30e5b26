import { randomBytes } from 'node:crypto';
import { CompressionTypes, type IHeaders, Kafka, type KafkaMessage, logLevel, Partitioners } from 'kafkajs';
import { resourceTopicSpec } from '../../src/kafka/topics.js';
import { retryRetriable } from '../../src/retry/retriable.js';
import { encodeSample, type Sample, SCHEMA_VERSION, sampleHeaders } from '../../src/schema/sample.js';
import { type Program, startProgram, v1Query } from '../../support/harness.js';
import { servicesEnv } from '../../support/services.js';

export const env = servicesEnv();
export const kafka = new Kafka({ clientId: 'tower-test', brokers: (env.TOWER_BROKERS ?? '').split(','), logLevel: logLevel.NOTHING });
export const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

/** A fresh topic shaped like `resource` (3 partitions, RF 3, min ISR 2, log-append time). */
export async function createTopic(prefix: string): Promise<string> {
  const topic = unique(prefix);
  const admin = kafka.admin();
  await admin.connect();
  // A new topic's metadata can reach one broker before another (UNKNOWN_TOPIC_OR_PARTITION, retriable).
  await retryRetriable(() => admin.createTopics({ waitForLeaders: true, topics: [resourceTopicSpec(topic)] }));
  await retryRetriable(() => admin.fetchTopicMetadata({ topics: [topic] }));
  await admin.disconnect();
  return topic;
}

export interface OutgoingMessage {
  key?: string | null;
  value: Buffer | string | null;
  headers?: IHeaders;
}

export async function produce(topic: string, messages: OutgoingMessage[]): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let i = 0; i < messages.length; i += 1000) {
    await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: messages.slice(i, i + 1000) });
  }
  await producer.disconnect();
}

export function towerMessage(host: string, time: number, fields: Record<string, number> = { CPU_Usage: 10, memory: 1000 }): OutgoingMessage {
  const sample: Sample = { v: SCHEMA_VERSION, host, time, fields };
  return { key: host, value: Buffer.from(encodeSample(sample)), headers: sampleHeaders() };
}

/** Starts tower-sink on a test topic with its own group and dead-letter topic. */
export function startSink(topic: string, dlqTopic: string, group: string, extra: string[] = [], envOverride: Record<string, string> = {}): Program {
  return startProgram('consumer', ['run', '--topic', topic, '--dlq-topic', dlqTopic, '--group', group, ...extra], {
    ...env,
    TOWER_LOG_LEVEL: 'info',
    ...envOverride,
  });
}

/** Distinct points per host whose tag starts with `prefix`. */
export async function pointsByHost(prefix: string, field = 'CPU_Usage'): Promise<Map<string, number>> {
  const rows = await v1Query(env, `SELECT count("${field}") FROM "Labs"."autogen"."labs" WHERE "host" =~ /^${prefix}/ AND time > 0 GROUP BY "host"`);
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(String(row.host ?? ''), Number(row.count));
  return counts;
}

/** The v1 query result rows carry no tags; this variant asks per series. */
export async function countPoints(prefix: string): Promise<number> {
  const rows = await v1Query(env, `SELECT count("CPU_Usage") FROM "Labs"."autogen"."labs" WHERE "host" =~ /^${prefix}/ AND time > 0`);
  return Number(rows[0]?.count ?? 0);
}

/** Every message on a topic, from the start, read until `expected` arrived or `timeoutMs` passed. */
export async function readAll(topic: string, expected: number, timeoutMs = 30_000): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: unique('tower-test-reader'), maxWaitTimeInMs: 200 });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
  const deadline = Date.now() + timeoutMs;
  while (messages.length < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  await consumer.disconnect();
  return messages;
}
