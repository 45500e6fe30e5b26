import { CompressionTypes, type Kafka, Partitioners, type Producer } from 'kafkajs';
import { encodeSample, type Sample, sampleHeaders } from '../schema/sample.js';

export interface SampleProducerOptions {
  /** Topic the samples go to. Default `resource`. */
  topic: string;
}

/**
 * Sends samples to Kafka, keyed by host so that each Pi's samples stay in
 * order on one partition. acks=-1: a send succeeds only once every in-sync
 * replica has the message (with min.insync.replicas=2 on the topic).
 */
export class SampleProducer {
  private readonly producer: Producer;

  constructor(
    kafka: Kafka,
    private readonly options: SampleProducerOptions,
  ) {
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async send(samples: Sample[]): Promise<void> {
    await this.producer.send({
      topic: this.options.topic,
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: samples.map((sample) => ({
        key: sample.host,
        value: Buffer.from(encodeSample(sample)),
        headers: sampleHeaders(),
      })),
    });
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}
