// npm run fleet -- --agents N --seconds S [--sinks K] [--topic T] [--host-prefix P] [--workers W]
// N simulated Pis at 1 Hz through the agent's own Spool → Delivery →
// SampleProducer, K real tower-sink processes in a new consumer group, then
// one JSON line: sent/stored/lost/extra by host and time, and the scale
// figures (CPU and RSS per process, consumer lag, end-to-end latency).
// Exit code 1 when anything sent was not stored. See docs/PERFORMANCE.md.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runFleet } from './fleet/run.js';

const args = await yargs(hideBin(process.argv))
  .option('agents', { type: 'number', demandOption: true, describe: 'Simulated Pis' })
  .option('seconds', { type: 'number', demandOption: true, describe: 'How long they sample' })
  .option('sinks', { type: 'number', default: 1, describe: 'tower-sink processes in the group' })
  .option('topic', { type: 'string', default: 'resource', describe: 'Topic (created like resource if missing)' })
  .option('host-prefix', { type: 'string', describe: 'Host name prefix (default fleet-<random>-)' })
  .option('workers', { type: 'number', describe: 'Simulator processes (default: 0 up to 200 agents, else one per 1,000, at most 4)' })
  .option('drain-s', { type: 'number', default: 30, describe: "Longest wait for the agents' spools to empty after the last sample" })
  .option('settle-s', { type: 'number', default: 120, describe: 'Longest wait for InfluxDB to hold everything sent' })
  .option('agent-log-level', { type: 'string', default: 'silent', describe: 'Log level of the simulated agents (stderr)' })
  .option('latency-hosts', { type: 'number', default: 20, describe: 'Hosts whose end-to-end latency is measured' })
  .strict()
  .parseAsync();

// Bound the whole run: the parts have their own limits; this is the last resort.
const limitMs = (args.seconds + args.drainS + args.settleS + 300) * 1000;
const watchdog = setTimeout(() => {
  process.stderr.write(`fleet: still running after ${limitMs / 1000} s; giving up (child processes are killed on exit)\n`);
  process.exit(2);
}, limitMs);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const result = await runFleet({
  agents: args.agents,
  seconds: args.seconds,
  sinks: args.sinks,
  topic: args.topic,
  hostPrefix: args.hostPrefix,
  workers: args.workers,
  drainS: args.drainS,
  settleS: args.settleS,
  latencyHosts: args.latencyHosts,
  agentLogLevel: args.agentLogLevel,
});
console.log(JSON.stringify(result));
process.exit(result.lost > 0 ? 1 : 0);
