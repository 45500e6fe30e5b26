import { CompressionTypes, type IHeaders, type Kafka, type KafkaMessage, Partitioners, type Producer } from 'kafkajs';

/** A message the sink could not write, with where it came from and why. */
export interface DeadLetter {
  message: KafkaMessage;
  topic: string;
  partition: number;
  reason: string;
}

export const DLQ_HEADERS = {
  reason: 'tower-dlq-reason',
  topic: 'tower-dlq-topic',
  partition: 'tower-dlq-partition',
  offset: 'tower-dlq-offset',
} as const;

/**
 * Sends messages the sink cannot write to the dead-letter topic, unchanged,
 * with headers giving the reason and the original topic/partition/offset.
 * The sink commits past a message only after its dead letter is acknowledged.
 */
export class DeadLetterQueue {
  private readonly producer: Producer;
  private connected = false;

  constructor(
    kafka: Kafka,
    readonly topic: string,
  ) {
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  }

  async send(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
    }
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: letters.map((letter) => ({
        key: letter.message.key,
        value: letter.message.value,
        headers: { ...originalHeaders(letter.message.headers), ...dlqHeaders(letter) },
      })),
    });
  }

  async disconnect(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
    this.connected = false;
  }
}

function dlqHeaders(letter: DeadLetter): IHeaders {
  return {
    [DLQ_HEADERS.reason]: letter.reason.slice(0, 1000),
    [DLQ_HEADERS.topic]: letter.topic,
    [DLQ_HEADERS.partition]: String(letter.partition),
    [DLQ_HEADERS.offset]: letter.message.offset,
  };
}

function originalHeaders(headers: IHeaders | undefined): IHeaders {
  const copy: IHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) copy[name] = value;
  return copy;
}
