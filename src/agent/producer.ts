import { CompressionTypes, type Kafka, Partitioners, type Producer } from 'kafkajs';
import { decodeSample, sampleHeaders } from '../schema/sample.js';

export interface SampleProducerOptions {
  /** Topic the samples go to. Default `resource`. */
  topic: string;
}

/** Sends encoded samples somewhere; rejects when they were not all accepted. */
export interface RecordSender {
  send(records: Uint8Array[]): Promise<void>;
}

/**
 * Sends encoded samples to Kafka, keyed by host so that each Pi's samples
 * stay in order on one partition. acks=-1: a send succeeds only once every
 * in-sync replica has the message (min.insync.replicas=2 on the topic).
 * Connects on first use and again after a failure, so a missing broker at
 * start-up is an outage to ride out, not a crash.
 */
export class SampleProducer implements RecordSender {
  private readonly producer: Producer;
  private connected = false;

  constructor(
    kafka: Kafka,
    private readonly options: SampleProducerOptions,
  ) {
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      // Fail a send within seconds so the agent's own backoff takes over and logs it.
      retry: { retries: 2, initialRetryTime: 300, maxRetryTime: 2_000 },
    });
  }

  async send(records: Uint8Array[]): Promise<void> {
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
    }
    try {
      await this.producer.send({
        topic: this.options.topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: records.map((value) => ({ key: decodeSample(value).host, value: Buffer.from(value), headers: sampleHeaders() })),
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
