import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { readInventory } from '../collector/inventory.js';
import { Sampler } from '../collector/sampler.js';
import { createKafka } from '../kafka/client.js';
import type { KafkaSecurity } from '../kafka/security.js';
import { settleWithin, waitForSignal } from '../lifecycle.js';
import type { Logger } from '../log.js';
import { startMetricsServer } from '../metrics/server.js';
import { encodeSample, SCHEMA_VERSION } from '../schema/sample.js';
import { Delivery } from './delivery.js';
import { compactHeap } from './heapCompaction.js';
import { type AgentCounters, agentMetrics, agentUnhealthy } from './metrics.js';
import { SampleProducer } from './producer.js';
import { startTicker } from './schedule.js';
import { Spool } from './spool.js';

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
  /** Where unsent samples wait. Default `<state dir>/spool`. */
  spoolDir: string;
  /** Cap on the spool's size on disk. Default 64 MiB. */
  spoolMaxBytes: number;
  /** Hosts file read before DNS for broker names. Default `/etc/hosts`. */
  hostsFile: string;
  /** TLS and SASL for brokers outside the lab. Default none. */
  security: KafkaSecurity;
  /** Serve /metrics and /healthz on 127.0.0.1 at this port; 0 = off (default). */
  metricsPort: number;
  /** How long a sample may wait to share a produce request with later ones, ms. Default 5 000. */
  lingerMs: number;
}

/** systemd's StateDirectory=, else the usual place for root or a user. */
export function defaultStateDir(): string {
  if (process.env.STATE_DIRECTORY) return process.env.STATE_DIRECTORY.split(':')[0] as string;
  if (process.getuid?.() === 0) return '/var/lib/tower-agent';
  return join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'tower-agent');
}

export const AGENT_DEFAULTS: AgentOptions = {
  brokers: ['nuc:9090', 'nuc:9091', 'nuc:9092'],
  topic: 'resource',
  host: hostname(),
  schedule: '* * * * * *',
  clientId: 'tower-agent',
  procRoot: '/proc',
  spoolDir: join(defaultStateDir(), 'spool'),
  spoolMaxBytes: 64 * 1024 * 1024,
  hostsFile: '/etc/hosts',
  metricsPort: 0,
  lingerMs: 5_000,
  security: {},
};

/** How long SIGTERM waits for the send in flight before leaving the rest spooled. */
const STOP_GRACE_MS = 3_000;
/** When start-up's garbage and bytecode are given back (compactHeap): after the first sends and the inventory. */
const COMPACT_AFTER_MS = 20_000;

/** Samples on schedule and delivers every sample to Kafka until SIGINT/SIGTERM. */
export async function runAgent(options: AgentOptions, logger: Logger): Promise<void> {
  const stopSignal = waitForSignal();
  const sampler = new Sampler({ procRoot: options.procRoot });
  await sampler.prime();
  const spool = new Spool(options.spoolDir, { maxBytes: options.spoolMaxBytes });
  const kafka = createKafka({ brokers: options.brokers, clientId: options.clientId, hostsFile: options.hostsFile, security: options.security, logger });
  const producer = new SampleProducer(kafka, { topic: options.topic, key: options.host });
  const delivery = new Delivery(spool, producer, logger, { lingerMs: options.lingerMs });
  delivery.start();
  logger.info(
    { brokers: options.brokers, topic: options.topic, host: options.host, spoolDir: options.spoolDir, spooled: spool.length, lingerMs: options.lingerMs },
    'agent started',
  );

  let sampled = 0;
  const ticker = startTicker(
    options.schedule,
    async () => {
      const fields = await sampler.sample();
      delivery.enqueue(encodeSample({ v: SCHEMA_VERSION, host: options.host, time: Date.now(), fields }));
      sampled += 1;
    },
    { onError: (err) => logger.error({ err }, 'could not take a sample; trying again at the next tick') },
  );
  const startedAt = Date.now();
  const counters = (): AgentCounters => ({
    sampled,
    missedTicks: ticker.missed,
    delivery: delivery.stats,
    spooled: spool.length,
    dropped: spool.dropped,
    startedAt,
  });
  const server = options.metricsPort
    ? await startMetricsServer({ port: options.metricsPort, metrics: () => agentMetrics(counters()), unhealthy: () => agentUnhealthy(counters()) })
    : undefined;

  readInventory().then(
    (inventory) => logger.info({ inventory }, 'machine inventory'),
    (err: Error) => logger.warn({ err: err.message }, 'could not read the machine inventory'),
  );

  const compaction = setTimeout(() => logger.debug(compactHeap(), 'start-up garbage collected and the heap compacted'), COMPACT_AFTER_MS);
  compaction.unref();

  const signal = await stopSignal;
  clearTimeout(compaction);
  await ticker.stop();
  server?.close();
  await delivery.stop(STOP_GRACE_MS);
  await settleWithin(producer.disconnect(), 1_000);
  logger.info({ signal, sampled, ...delivery.stats, spooled: spool.length, droppedByCap: spool.dropped, missedTicks: ticker.missed }, 'agent stopped');
}
