#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, failUsage } from '../cli.js';
import { parseBrokerList } from '../kafka/client.js';
import { createLogger } from '../log.js';
import { VERSION } from '../version.js';
import { readSecret } from '../secrets.js';
import type { InfluxTarget } from './influxWriter.js';
import { SINK_DEFAULTS, runSink } from './sink.js';

const PROGRAM = 'tower-sink';

interface TargetArgs {
  v1: boolean;
  influxUrl: string;
  influxOrg: string;
  influxBucket: string;
  influxTokenFile?: string;
  v1Db: string;
  v1Rp: string;
  v1User: string;
  v1PasswordFile?: string;
}

function influxTarget(argv: TargetArgs): InfluxTarget {
  if (argv.v1) {
    const password = readSecret({ env: 'TOWER_V1_PASSWORD', file: argv.v1PasswordFile, fileFlag: '--v1-password-file' });
    return { api: 'v1', url: argv.influxUrl, db: argv.v1Db, rp: argv.v1Rp, user: argv.v1User, password };
  }
  const token = readSecret({ env: 'TOWER_INFLUX_TOKEN', file: argv.influxTokenFile, fileFlag: '--influx-token-file' });
  return { api: 'v2', url: argv.influxUrl, org: argv.influxOrg, bucket: argv.influxBucket, token };
}

async function main(): Promise<void> {
  await yargs(hideBin(process.argv))
    .scriptName(PROGRAM)
    .env('TOWER')
    .version(VERSION)
    .strictCommands()
    .demandCommand(1, 'Name a command: run.')
    .command(
      'run',
      'Consume samples from Kafka and write them to InfluxDB',
      (y) =>
        y
          .option('brokers', {
            type: 'string',
            default: SINK_DEFAULTS.brokers.join(','),
            describe: 'Kafka bootstrap brokers, host:port,… (env TOWER_BROKERS)',
          })
          .option('topic', { type: 'string', default: SINK_DEFAULTS.topic, describe: 'Topic to consume' })
          .option('group', { type: 'string', default: SINK_DEFAULTS.group, describe: 'Kafka consumer group' })
          .option('client-id', { type: 'string', default: SINK_DEFAULTS.clientId, describe: 'Kafka client id' })
          .option('measurement', { type: 'string', default: SINK_DEFAULTS.measurement, describe: 'InfluxDB measurement' })
          .option('influx-url', { type: 'string', default: SINK_DEFAULTS.influxUrl, describe: 'InfluxDB base URL' })
          .option('influx-org', { type: 'string', default: SINK_DEFAULTS.org, describe: 'InfluxDB 2.x organization' })
          .option('influx-bucket', { type: 'string', default: SINK_DEFAULTS.bucket, describe: 'InfluxDB 2.x bucket' })
          .option('influx-token-file', {
            type: 'string',
            describe: 'File holding the InfluxDB token (else env TOWER_INFLUX_TOKEN)',
          })
          .option('v1', {
            type: 'boolean',
            default: false,
            describe: 'Write through the v1-compatibility API /write with a v1 user',
          })
          .option('v1-db', { type: 'string', default: SINK_DEFAULTS.db, describe: 'v1 database (DBRP mapping)' })
          .option('v1-rp', { type: 'string', default: SINK_DEFAULTS.rp, describe: 'v1 retention policy' })
          .option('v1-user', { type: 'string', default: 'tower', describe: 'v1 user' })
          .option('v1-password-file', {
            type: 'string',
            describe: 'File holding the v1 password (else env TOWER_V1_PASSWORD)',
          }),
      async (argv) => {
        const logger = createLogger(PROGRAM);
        let influx: InfluxTarget;
        let brokers: string[];
        try {
          influx = influxTarget(argv);
          brokers = parseBrokerList(argv.brokers);
        } catch (err) {
          if (err instanceof ConfigError) failUsage(PROGRAM, err.message);
          throw err;
        }
        await runSink(
          { brokers, topic: argv.topic, group: argv.group, clientId: argv.clientId, measurement: argv.measurement, influx },
          logger,
        );
      },
    )
    .fail((message, err) => failUsage(PROGRAM, message ?? err?.message ?? 'invalid arguments'))
    .help()
    .parseAsync();
}

main().catch((err: unknown) => {
  createLogger(PROGRAM).fatal({ err }, 'tower-sink stopped on an error');
  process.exitCode = 1;
});
