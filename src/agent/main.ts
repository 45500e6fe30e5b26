#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { Sampler } from '../collector/sampler.js';
import { failUsage } from '../cli.js';
import { parseBrokerList } from '../kafka/client.js';
import { createLogger } from '../log.js';
import { VERSION } from '../version.js';
import { AGENT_DEFAULTS, runAgent } from './run.js';

const PROGRAM = 'tower-agent';

async function main(): Promise<void> {
  await yargs(hideBin(process.argv))
    .scriptName(PROGRAM)
    .env('TOWER')
    .version(VERSION)
    .strictCommands()
    .demandCommand(1, 'Name a command: run or sample.')
    .option('proc-root', {
      type: 'string',
      default: AGENT_DEFAULTS.procRoot,
      describe: 'Where procfs is mounted',
    })
    .command(
      'run',
      'Sample on schedule and produce every sample to Kafka',
      (y) =>
        y
          .option('brokers', {
            type: 'string',
            default: AGENT_DEFAULTS.brokers.join(','),
            describe: 'Kafka bootstrap brokers, host:port,… (env TOWER_BROKERS)',
          })
          .option('topic', { type: 'string', default: AGENT_DEFAULTS.topic, describe: 'Topic to produce to' })
          .option('host', {
            type: 'string',
            default: AGENT_DEFAULTS.host,
            describe: 'Host name the samples carry (the Kafka key)',
          })
          .option('schedule', {
            type: 'string',
            default: AGENT_DEFAULTS.schedule,
            describe: 'Cron expression with a seconds field',
          })
          .option('client-id', { type: 'string', default: AGENT_DEFAULTS.clientId, describe: 'Kafka client id' }),
      async (argv) => {
        const logger = createLogger(PROGRAM);
        await runAgent(
          {
            brokers: parseBrokerList(argv.brokers),
            topic: argv.topic,
            host: argv.host,
            schedule: argv.schedule,
            clientId: argv.clientId,
            procRoot: argv.procRoot,
          },
          logger,
        );
      },
    )
    .command(
      'sample',
      'Print samples as JSON lines, one interval apart, without touching Kafka',
      (y) =>
        y
          .option('count', { type: 'number', default: 1, describe: 'How many samples to print' })
          .option('interval', { type: 'number', default: 1, describe: 'Seconds between samples' }),
      async (argv) => {
        if (!Number.isInteger(argv.count) || argv.count < 1) failUsage(PROGRAM, '--count must be a whole number ≥ 1');
        if (!(argv.interval > 0)) failUsage(PROGRAM, '--interval must be a number of seconds > 0');
        await printSamples(argv.count, argv.interval, argv.procRoot);
      },
    )
    .fail((message, err) => failUsage(PROGRAM, message ?? err?.message ?? 'invalid arguments'))
    .help()
    .parseAsync();
}

async function printSamples(count: number, intervalSeconds: number, procRoot: string): Promise<void> {
  const sampler = new Sampler({ procRoot });
  await sampler.prime();
  for (let i = 0; i < count; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, intervalSeconds * 1000));
    process.stdout.write(`${JSON.stringify({ time: Date.now(), fields: await sampler.sample() })}\n`);
  }
}

main().catch((err: unknown) => {
  createLogger(PROGRAM).fatal({ err }, 'tower-agent stopped on an error');
  process.exitCode = 1;
});
