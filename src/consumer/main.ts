#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { ConfigError, failUsage } from '../cli.js';
import { createLogger } from '../log.js';
import { PROGRAM, parseSinkArgs, sinkOptions } from './cli.js';
import { runSink } from './sink.js';

async function main(): Promise<void> {
  const { argv } = await parseSinkArgs(hideBin(process.argv));
  let options: ReturnType<typeof sinkOptions>;
  try {
    options = sinkOptions(argv);
  } catch (err) {
    if (err instanceof ConfigError) failUsage(PROGRAM, err.message);
    throw err;
  }
  await runSink(options, createLogger(PROGRAM));
}

main().catch((err: unknown) => {
  createLogger(PROGRAM).fatal({ err }, `${PROGRAM} stopped on an error`);
  process.exitCode = 1;
});
