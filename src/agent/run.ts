import { hostname } from 'node:os';
import { Sampler } from '../collector/sampler.js';
import { createKafka } from '../kafka/client.js';
import { waitForSignal } from '../lifecycle.js';
import type { Logger } from '../log.js';
import { SCHEMA_VERSION, type Sample } from '../schema/sample.js';
import { SampleProducer } from './producer.js';
import { startTicker } from './schedule.js';

export interface AgentOptions {
  brokers: string[];
  /** Default `resource`. */
  topic: string;
  /** Host name the samples carry and are keyed by. Default: the machine's. */
  host: string;
  /** Cron expression with seconds. Default every second. */
  schedule: string;
  clientId: string;
  procRoot: string;
}

export const AGENT_DEFAULTS: AgentOptions = {
  brokers: ['nuc:9090', 'nuc:9091', 'nuc:9092'],
  topic: 'resource',
  host: hostname(),
  schedule: '* * * * * *',
  clientId: 'tower-agent',
  procRoot: '/proc',
};

/** Samples on schedule and produces each sample to Kafka until SIGINT/SIGTERM. */
export async function runAgent(options: AgentOptions, logger: Logger): Promise<void> {
  const sampler = new Sampler({ procRoot: options.procRoot });
  await sampler.prime();
  const kafka = createKafka({ brokers: options.brokers, clientId: options.clientId, logger });
  const producer = new SampleProducer(kafka, { topic: options.topic });
  await producer.connect();
  logger.info({ brokers: options.brokers, topic: options.topic, host: options.host }, 'agent started');

  let sent = 0;
  const ticker = startTicker(options.schedule, async () => {
    const time = Date.now();
    const sample: Sample = { v: SCHEMA_VERSION, host: options.host, time, fields: await sampler.sample() };
    try {
      await producer.send([sample]);
      sent += 1;
    } catch (err) {
      logger.error({ err, time }, 'could not send sample');
    }
  });

  await waitForSignal();
  logger.info({ sent, missedTicks: ticker.missed }, 'agent stopping');
  await ticker.stop();
  await producer.disconnect();
}
