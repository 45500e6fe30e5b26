#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { ConfigError, failUsage } from '../cli.js';
import { createLogger } from '../log.js';
import { PROGRAM, parseSinkArgs, sinkOptions, verifyOptions } from './cli.js';
import { runSinkDoctor } from './doctor.js';
import { runSink } from './sink.js';
import { runVerify } from './verify.js';

async function main(): Promise<void> {
  const { command, argv } = await parseSinkArgs(hideBin(process.argv));
  try {
    if (command === 'verify') {
      const pass = await runVerify(verifyOptions(argv), (text) => process.stdout.write(`${text}\n`));
      process.exit(pass ? 0 : 1);
    }
    const options = sinkOptions(argv);
    if (command === 'doctor') {
      const ok = await runSinkDoctor(options, createLogger(PROGRAM, 'silent'), (line) => process.stdout.write(`${line}\n`));
      process.exit(ok ? 0 : 1);
    }
    await runSink(options, createLogger(PROGRAM));
    process.exit(0);
  } catch (err) {
    if (err instanceof ConfigError) failUsage(PROGRAM, err.message);
    throw err;
  }
}

main().catch((err: unknown) => {
  createLogger(PROGRAM).fatal({ err }, `${PROGRAM} stopped on an error`);
  process.exitCode = 1;
});
