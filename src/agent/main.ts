#!/usr/bin/env node
import './runtimeFlags.js';
import { hideBin } from 'yargs/helpers';
import { Sampler } from '../collector/sampler.js';
import { positive, wholeNumber } from '../cli.js';
import { createLogger } from '../log.js';
import { runProgram } from '../program.js';
import { PROGRAM, agentOptions, parseAgentArgs } from './cli.js';
import { runDoctor } from './doctor.js';
import { runAgent } from './run.js';

type Argv = Record<string, unknown>;

async function printSamples(argv: Argv): Promise<void> {
  const count = wholeNumber(argv.count, '--count', 1);
  const interval = positive(argv.interval, '--interval');
  const sampler = new Sampler({ procRoot: String(argv.procRoot) });
  await sampler.prime();
  for (let i = 0; i < count; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, interval * 1000));
    process.stdout.write(`${JSON.stringify({ time: Date.now(), fields: await sampler.sample() })}\n`);
  }
}

runProgram(PROGRAM, async () => {
  const { command, argv } = await parseAgentArgs(hideBin(process.argv));
  if (command === 'sample') {
    await printSamples(argv);
    return 0;
  }
  const options = agentOptions(argv);
  if (command === 'doctor') return (await runDoctor(options, createLogger(PROGRAM, 'silent'), (line) => process.stdout.write(`${line}\n`))) ? 0 : 1;
  await runAgent(options, createLogger(PROGRAM));
  // Exit even if a send hung on a dead link keeps a socket open: everything unsent is spooled.
  return 0;
});
