import { CompressionTypes, type Kafka, Partitioners } from 'kafkajs';
import { type Check, checkBrokers, doctorKafka, printChecks, withTimeout } from '../kafka/doctor.js';
import type { Logger } from '../log.js';
import { ENCODING_PROBE, HEADER_ENCODING } from '../schema/sample.js';
import type { AgentOptions } from './run.js';

/**
 * Checks everything between this Pi and the topic: hosts entries, TCP reach of
 * every broker (bootstrap and advertised), the topic, and a test produce with
 * acks=all. Prints what is wrong and how to fix it; resolves to true if all passed.
 */
export async function runDoctor(options: AgentOptions, logger: Logger, out: (line: string) => void): Promise<boolean> {
  const kafka = doctorKafka(options, logger);
  const checks = await checkBrokers(kafka, { brokers: options.brokers, hostsFile: options.hostsFile, topic: options.topic });
  if (checks.every((c) => c.ok)) checks.push(await testProduce(kafka, options));
  return printChecks(checks, out);
}

async function testProduce(kafka: Kafka, options: AgentOptions): Promise<Check> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 1 } });
  const name = `test produce to ${options.topic}`;
  try {
    await withTimeout(producer.connect(), 10_000, 'connecting the producer');
    const [result] = await withTimeout(
      producer.send({
        topic: options.topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: [{ key: options.host, value: 'tower-agent doctor', headers: { [HEADER_ENCODING]: ENCODING_PROBE } }],
      }),
      15_000,
      'producing',
    );
    return { name, ok: true, detail: `acknowledged by all in-sync replicas (partition ${result?.partition}, offset ${result?.baseOffset})` };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message, fix: 'if it names NOT_ENOUGH_REPLICAS, start the stopped brokers (min.insync.replicas=2)' };
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}
