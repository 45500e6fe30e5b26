import type { Consumer } from 'kafkajs';
import type { InfluxTarget } from '../../influx/target.js';
import { InfluxWriter } from '../../influx/write.js';
import { createKafka } from '../../kafka/client.js';
import { patchKafkajsRecordBatches } from '../../kafka/recordBatchPatch.js';
import type { KafkaSecurity } from '../../kafka/security.js';
import { settleWithin, waitForSignal } from '../../lifecycle.js';
import type { Logger } from '../../log.js';
import { startMetricsServer } from '../../metrics/server.js';
import { commitAfterWrite } from './commitAfterWrite.js';
import { DeadLetterQueue } from './deadLetters.js';
import type { DecodeOptions } from './decode.js';
import { sinkMetrics } from './metrics.js';
import { SinkStats } from './stats.js';

export interface SinkOptions {
  brokers: string[];
  /** Default `resource`. */
  topic: string;
  /** Consumer group; sinks in one group share the partitions. Default `tower-sink`. */
  group: string;
  clientId: string;
  influx: InfluxTarget;
  decode: DecodeOptions;
  /** Where undecodable and refused messages go. Default `resource.dlq`. */
  dlqTopic: string;
  /** Most lines per write request. Default 5000. */
  batchSize: number;
  /** Write requests in flight per partition. Default 2. */
  writesInFlight: number;
  /** gzip level of write requests, 0 = off. Default 0 for a loopback --influx-url, else 1. */
  gzipLevel: number;
  /** Longest a fetch waits for more data before returning what it has, ms. Default 100. */
  fetchWaitMs: number;
  /** Hosts file read before DNS for broker names. Default `/etc/hosts`. */
  hostsFile: string;
  /** TLS and SASL; none by default. */
  security: KafkaSecurity;
  /** Serve /metrics and /healthz on 127.0.0.1 at this port; 0 = off. */
  metricsPort: number;
}

export const SINK_DEFAULTS = {
  brokers: ['nuc:9090', 'nuc:9091', 'nuc:9092'],
  topic: 'resource',
  group: 'tower-sink',
  clientId: 'tower-sink',
  measurement: 'labs',
  region: 'GIST',
  defaultHost: 'Labs',
  maxSkewS: 300,
  influxUrl: 'http://localhost:8086',
  org: 'GIST',
  bucket: 'Labs',
  db: 'Labs',
  rp: 'autogen',
  v1User: 'tower',
  hostsFile: '/etc/hosts',
  dlqTopic: 'resource.dlq',
  batchSize: 5000,
  writesInFlight: 2,
  fetchWaitMs: 100,
  metricsPort: 0,
} as const;

const STOP_GRACE_MS = 5_000;
const FETCH_BYTES_PER_PARTITION = 64 * 1024;

/** Consumes samples and writes them to InfluxDB until SIGINT/SIGTERM. */
export async function runSink(options: SinkOptions, logger: Logger): Promise<void> {
  // Listen first: joining a group can take until dead members time out, and a
  // SIGTERM meanwhile must still stop the sink cleanly.
  const stopSignal = waitForSignal();
  if (!patchKafkajsRecordBatches()) logger.warn('kafkajs fetched before the sink started: its own, slower record batch decoder stays');
  const kafka = createKafka({ brokers: options.brokers, clientId: options.clientId, hostsFile: options.hostsFile, security: options.security, logger });
  // A 10 s session (kafkajs default 30 s) hands a crashed sink's partitions to the others sooner.
  const consumer = kafka.consumer({
    groupId: options.group,
    maxWaitTimeInMs: options.fetchWaitMs,
    minBytes: 1,
    // A fetch is decoded whole, and gzip packs ~50,000 samples into kafkajs' default 1 MB per
    // partition; 64 KB (~3,000 samples) keeps three partitions' fetches and their writes in a
    // small heap (peak RSS draining 300,000 points: 393 MB at 256 KB, 228 at 64) at the same rate.
    maxBytesPerPartition: FETCH_BYTES_PER_PARTITION,
    maxBytes: 3 * FETCH_BYTES_PER_PARTITION,
    sessionTimeout: 10_000,
    heartbeatInterval: 3_000,
  });
  const dlq = new DeadLetterQueue(kafka, options.dlqTopic);
  const stats = new SinkStats();
  const server = options.metricsPort
    ? await startMetricsServer({ port: options.metricsPort, metrics: () => sinkMetrics(stats), unhealthy: () => stats.blockedBy })
    : undefined;
  const started = startConsuming(consumer, dlq, stats, options, logger).then(() =>
    logger.info({ brokers: options.brokers, topic: options.topic, group: options.group, influx: options.influx.url, api: options.influx.api }, 'sink started'),
  );
  started.catch((err: Error) => {
    logger.fatal({ err: err.message, brokers: options.brokers }, 'could not start consuming; exiting so that the service manager restarts the sink');
    process.exit(1);
  });
  const signal = await stopSignal;
  server?.close();
  // Leaving the group can wait on a rebalance; nothing is lost by not waiting
  // long, since every committed offset was written first.
  await settleWithin(Promise.all([consumer.disconnect(), dlq.disconnect()]), STOP_GRACE_MS);
  const { lag: _lag, ...totals } = stats;
  logger.info({ signal, ...totals }, 'sink stopped');
}

async function startConsuming(consumer: Consumer, dlq: DeadLetterQueue, stats: SinkStats, options: SinkOptions, logger: Logger): Promise<void> {
  const writer = new InfluxWriter(options.influx, options.gzipLevel);
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
    logger.info({ group: payload.groupId, assigned: payload.memberAssignment }, 'joined consumer group'),
  );
  consumer.on(consumer.events.CRASH, ({ payload }) =>
    logger.error({ err: payload.error.message, restart: payload.restart }, 'consumer crashed; kafkajs restarts it, uncommitted messages are fetched again'),
  );
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 3,
    eachBatch: (payload) =>
      commitAfterWrite(payload, {
        write: (lines) => writer.write(lines),
        sendDeadLetters: (letters) => dlq.send(letters),
        commit: (topic, partition, offset) => consumer.commitOffsets([{ topic, partition, offset }]),
        stats,
        logger,
        decode: options.decode,
        batchSize: options.batchSize,
        writesInFlight: options.writesInFlight,
      }),
  });
}
