#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { Sampler } from '../collector/sampler.js';
import { ConfigError, failUsage } from '../cli.js';
import { createLogger } from '../log.js';
import { PROGRAM, agentOptions, parseAgentArgs } from './cli.js';
import { runDoctor } from './doctor.js';
import { runAgent } from './run.js';

type Argv = Record<string, unknown>;

async function printSamples(argv: Argv): Promise<void> {
  const count = Number(argv.count);
  const interval = Number(argv.interval);
  if (!Number.isInteger(count) || count < 1) throw new ConfigError(`--count must be a whole number ≥ 1, got ${String(argv.count)}`);
  if (!(interval > 0)) throw new ConfigError(`--interval must be a number of seconds > 0, got ${String(argv.interval)}`);
  const sampler = new Sampler({ procRoot: String(argv.procRoot) });
  await sampler.prime();
  for (let i = 0; i < count; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, interval * 1000));
    process.stdout.write(`${JSON.stringify({ time: Date.now(), fields: await sampler.sample() })}\n`);
  }
}

async function main(): Promise<void> {
  const { command, argv } = await parseAgentArgs(hideBin(process.argv));
  try {
    if (command === 'sample') return await printSamples(argv);
    const options = agentOptions(argv);
    if (command === 'doctor') {
      const ok = await runDoctor(options, createLogger(PROGRAM, 'silent'), (line) => process.stdout.write(`${line}\n`));
      process.exit(ok ? 0 : 1);
    }
    await runAgent(options, createLogger(PROGRAM));
    // A send hung on a dead link keeps sockets open; everything unsent is already spooled.
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
