import { randomBytes } from 'node:crypto';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { decodeSample, type Sample } from '../src/schema/sample.js';

/**
 * Reads the `resource` topic from its current end onwards and keeps every
 * decoded sample by host: the test's view of what reached Kafka.
 */
export class TopicReader {
  readonly samples = new Map<string, Sample[]>();
  private consumer: Consumer | undefined;

  constructor(
    private readonly brokers: string[],
    private readonly topic = 'resource',
  ) {}

  async start(): Promise<void> {
    const kafka = new Kafka({ clientId: 'tower-test-reader', brokers: this.brokers, logLevel: logLevel.NOTHING });
    const groupId = `tower-test-${randomBytes(4).toString('hex')}`;
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(this.topic);
    await admin.setOffsets({ groupId, topic: this.topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.offset })) });
    await admin.disconnect();
    this.consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.value || message.headers?.['tower-encoding']?.toString() !== 'msgpack') return;
        const sample = decodeSample(message.value);
        this.samples.set(sample.host, [...(this.samples.get(sample.host) ?? []), sample]);
      },
    });
  }

  /** Distinct sample times seen for a host, sorted. */
  times(host: string): number[] {
    return [...new Set((this.samples.get(host) ?? []).map((s) => s.time))].sort((a, b) => a - b);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
