#!/usr/bin/env -S node --max-semi-space-size=4
// V8's young generation of 4 MB a half instead of 16: the sink's garbage, from fetch to
// request body, is short-lived and small, and draining 300,000 points peaked at 146 MB
// instead of 165 at the same CPU (docs/PERFORMANCE.md). The bin (systemd, Docker, npm) runs with it.
import { hideBin } from 'yargs/helpers';
import { createLogger } from '../log.js';
import { runProgram } from '../program.js';
import { runAlerts } from './alerts/alerts.js';
import { alertsOptions, PROGRAM, parseSinkArgs, setupOptions, sinkOptions, verifyOptions } from './cli.js';
import { runSinkDoctor } from './doctor.js';
import { runSink } from './pipeline/sink.js';
import { runSetup } from './setup/setup.js';
import { runVerify } from './verify/verify.js';

runProgram(PROGRAM, async () => {
  const { command, argv } = await parseSinkArgs(hideBin(process.argv));
  const print = (text: string) => process.stdout.write(`${text}\n`);
  if (command === 'setup') return (await runSetup(setupOptions(argv), print, (text) => process.stderr.write(`${PROGRAM} setup: ${text}\n`))) ? 0 : 1;
  if (command === 'alerts') return runAlerts(alertsOptions(argv), print, (text) => process.stderr.write(`${PROGRAM} alerts: ${text}\n`));
  if (command === 'verify') return (await runVerify(verifyOptions(argv), print)) ? 0 : 1;
  const options = sinkOptions(argv);
  if (command === 'doctor') return (await runSinkDoctor(options, createLogger(PROGRAM, 'silent'), print)) ? 0 : 1;
  await runSink(options, createLogger(PROGRAM));
  return 0;
});
