import type { Options } from 'yargs';
import { ConfigError, failUsage, nonEmpty, type ParsedOptions, PRECEDENCE_NOTE, shown, unknownFlags, wholeNumber } from '../cli.js';
import { parseBrokerList } from '../kafka/client.js';
import { kafkaSecurity, SECURITY_OPTIONS } from '../kafka/security.js';
import { CONFIG_OPTION, programParser } from '../program.js';
import { parseSchedule } from './cronTimes.js';
import { AGENT_DEFAULTS, type AgentOptions } from './run.js';

export const PROGRAM = 'tower-agent';
export const MIB = 1024 * 1024;

const COMMON = {
  config: CONFIG_OPTION,
  'proc-root': { type: 'string', default: AGENT_DEFAULTS.procRoot, describe: 'Where procfs is mounted' },
} satisfies Record<string, Options>;

const RUN = {
  brokers: { type: 'string', default: AGENT_DEFAULTS.brokers.join(','), describe: 'Kafka bootstrap brokers, host:port,…' },
  topic: { type: 'string', default: AGENT_DEFAULTS.topic, describe: 'Topic to produce to' },
  host: { type: 'string', default: AGENT_DEFAULTS.host, describe: 'Host name the samples carry (the Kafka key)' },
  schedule: { type: 'string', default: AGENT_DEFAULTS.schedule, describe: 'Cron expression with a seconds field' },
  'client-id': { type: 'string', default: AGENT_DEFAULTS.clientId, describe: 'Kafka client id' },
  'metrics-port': { type: 'number', default: AGENT_DEFAULTS.metricsPort, describe: 'Serve /metrics and /healthz on 127.0.0.1 at this port (0 = off)' },
  'hosts-file': { type: 'string', default: AGENT_DEFAULTS.hostsFile, describe: 'Hosts file read before DNS for broker names' },
  ...SECURITY_OPTIONS,
  'spool-dir': { type: 'string', default: AGENT_DEFAULTS.spoolDir, describe: 'Where samples wait until Kafka has them' },
  'spool-max-mb': { type: 'number', default: AGENT_DEFAULTS.spoolMaxBytes / MIB, describe: 'Spool size cap; the oldest samples go first' },
  'linger-ms': {
    type: 'number',
    default: AGENT_DEFAULTS.lingerMs,
    describe: 'How long a sample may wait to share one produce request with the next ones (0 = send each at once; less CPU per sample the longer)',
  },
} satisfies Record<string, Options>;

const SAMPLE = {
  count: { type: 'number', default: 1, describe: 'How many samples to print' },
  interval: { type: 'number', default: 1, describe: 'Seconds between samples' },
} satisfies Record<string, Options>;

const ALL_OPTIONS = Object.keys({ ...COMMON, ...RUN, ...SAMPLE });

function parser(args: string[]) {
  return programParser(PROGRAM, args, 'Samples this machine and delivers the samples to Kafka.', ALL_OPTIONS)
    .options(COMMON)
    .demandCommand(1, 'Name a command: run, doctor or sample.')
    .command('run', 'Sample on schedule and deliver every sample to Kafka', (y) => y.options(RUN).epilogue(PRECEDENCE_NOTE))
    .command('doctor', 'Check hosts entries, broker reach, the topic and a test produce; exit 1 on any failure', (y) =>
      y.options(RUN).epilogue(PRECEDENCE_NOTE),
    )
    .command('sample', 'Print samples as JSON lines, one interval apart, without touching Kafka', (y) => y.options(SAMPLE).epilogue(PRECEDENCE_NOTE));
}

/** What yargs makes of the options `run` and `doctor` take. */
export type RunArgv = ParsedOptions<typeof COMMON & typeof RUN>;
/** What yargs makes of the options `sample` takes. */
export type SampleArgv = ParsedOptions<typeof COMMON & typeof SAMPLE>;

export type ParsedAgentArgs = { command: 'run' | 'doctor'; argv: RunArgv } | { command: 'sample'; argv: SampleArgv };

/** Parses argv, environment and config file; exits with code 2 on bad input. */
export async function parseAgentArgs(args: string[]): Promise<ParsedAgentArgs> {
  const argv = await parser(args).parseAsync();
  const command = String(argv._[0]) as ParsedAgentArgs['command'];
  const unknown = unknownFlags(args, Object.keys({ ...COMMON, ...(command === 'sample' ? SAMPLE : RUN) }));
  if (unknown.length > 0) failUsage(PROGRAM, `unknown option ${unknown.join(', ')}`);
  // yargs types a parser with subcommands by its top-level options only; each command's builder applied its own options above.
  return { command, argv } as unknown as ParsedAgentArgs;
}

/** The schedule as given, once node-cron has accepted it and it has a next run. */
function validSchedule(expression: string): string {
  parseSchedule(expression);
  return expression;
}

export function agentOptions(argv: RunArgv): AgentOptions {
  const spoolMaxMb = argv.spoolMaxMb;
  if (!(spoolMaxMb >= 1)) throw new ConfigError(`--spool-max-mb must be a number ≥ 1, got ${shown(argv.spoolMaxMb)}`);
  const host = nonEmpty(argv.host, '--host');
  if (/[\\\u0000-\u001f]/.test(host))
    throw new ConfigError(`--host ${JSON.stringify(host)} has a backslash or control character, which InfluxDB cannot store as a tag`);
  return {
    brokers: parseBrokerList(argv.brokers),
    topic: argv.topic,
    host,
    schedule: validSchedule(argv.schedule),
    clientId: argv.clientId,
    procRoot: argv.procRoot,
    spoolDir: argv.spoolDir,
    spoolMaxBytes: Math.round(spoolMaxMb * MIB),
    hostsFile: argv.hostsFile,
    metricsPort: wholeNumber(argv.metricsPort, '--metrics-port', 0, 65535),
    lingerMs: wholeNumber(argv.lingerMs, '--linger-ms', 0, 60_000),
    security: kafkaSecurity(argv),
  };
}
