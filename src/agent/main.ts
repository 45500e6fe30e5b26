#!/usr/bin/env node
import './runtimeFlags.js';
import { hideBin } from 'yargs/helpers';
import { positive, wholeNumber } from '../cli.js';
import { Sampler } from '../collector/sampler.js';
import { createLogger } from '../log.js';
import { runProgram } from '../program.js';
import { agentOptions, PROGRAM, parseAgentArgs, type SampleArgv } from './cli.js';
import { runDoctor } from './doctor.js';
import { runAgent } from './run.js';

async function printSamples(argv: SampleArgv): Promise<void> {
  const count = wholeNumber(argv.count, '--count', 1);
  const interval = positive(argv.interval, '--interval');
  const sampler = new Sampler({ procRoot: argv.procRoot });
  await sampler.prime();
  for (let i = 0; i < count; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, interval * 1000));
    process.stdout.write(`${JSON.stringify({ time: Date.now(), fields: await sampler.sample() })}\n`);
  }
}

runProgram(PROGRAM, async () => {
  const parsed = await parseAgentArgs(hideBin(process.argv));
  if (parsed.command === 'sample') {
    await printSamples(parsed.argv);
    return 0;
  }
  const options = agentOptions(parsed.argv);
  if (parsed.command === 'doctor') return (await runDoctor(options, createLogger(PROGRAM, 'silent'), (line) => process.stdout.write(`${line}\n`))) ? 0 : 1;
  await runAgent(options, createLogger(PROGRAM));
  // Exit even if a send hung on a dead link keeps a socket open: everything unsent is spooled.
  return 0;
});
