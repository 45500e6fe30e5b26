import type { Kafka } from 'kafkajs';
import { DLQ_HEADERS } from '../../src/consumer/pipeline/deadLetters.js';
import { BURST_HEADER } from '../../support/hostile.js';

/** The dead-letter topic's end offsets per partition, taken before a burst. */
export async function topicEnds(kafka: Kafka, topic: string): Promise<Map<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
  } finally {
    await admin.disconnect();
  }
}

export interface BurstLetters {
  /** Dead letters of the burst found. */
  found: number;
  /** Of those, how many carry no reason. */
  withoutReason: number;
  /** One reason per kind seen (the first 8 kinds), for the report. */
  reasons: string[];
}

/**
 * Reads `topic` from `from` until `expected` dead letters of `burstId` are
 * there or `timeoutMs` passes.
 */
export async function burstLetters(
  kafka: Kafka,
  topic: string,
  from: Map<number, string>,
  burstId: string,
  expected: number,
  timeoutMs: number,
): Promise<BurstLetters> {
  const consumer = kafka.consumer({ groupId: `tower-drills-dlq-${burstId}`, maxWaitTimeInMs: 200 });
  const result: BurstLetters = { found: 0, withoutReason: 0, reasons: [] };
  const kinds = new Set<string>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.headers?.[BURST_HEADER]?.toString() !== burstId) return;
        result.found += 1;
        const reason = message.headers?.[DLQ_HEADERS.reason]?.toString() ?? '';
        if (reason.length === 0) result.withoutReason += 1;
        const kind = reason.replace(/[0-9]+/g, 'N').slice(0, 40);
        if (reason && !kinds.has(kind) && kinds.size < 8) {
          kinds.add(kind);
          result.reasons.push(reason.slice(0, 120));
        }
      },
    });
    for (const [partition, offset] of from) consumer.seek({ topic, partition, offset });
    const deadline = Date.now() + timeoutMs;
    while (result.found < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    // A moment more, to see dead letters beyond the expected count too.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  } finally {
    await consumer.disconnect();
  }
  return result;
}
