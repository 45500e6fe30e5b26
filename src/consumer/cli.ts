import type { Options } from 'yargs';
import { ConfigError, failUsage, nonEmpty, nonNegative, type ParsedOptions, PRECEDENCE_NOTE, positive, unknownFlags, wholeNumber } from '../cli.js';
import type { InfluxTarget } from '../influx/target.js';
import { defaultGzipLevel } from '../influx/write.js';
import { parseBrokerList } from '../kafka/client.js';
import { kafkaSecurity, SECURITY_OPTIONS } from '../kafka/security.js';
import { CONFIG_OPTION, programParser } from '../program.js';
import { readSecret } from '../secrets.js';
import type { AlertsOptions } from './alerts/alerts.js';
import { SINK_DEFAULTS, type SinkOptions } from './pipeline/sink.js';
import { ALERT_PREFIX, ALERTING, alertingOptions } from './setup/alertingOptions.js';
import { DOWNSAMPLE, formatRetention, parseRetention } from './setup/downsamplePlan.js';
import type { SetupOptions } from './setup/setup.js';
import type { VerifyOptions } from './verify/verify.js';

export const PROGRAM = 'tower-sink';

const COMMON = {
  config: CONFIG_OPTION,
} satisfies Record<string, Options>;

/** Where InfluxDB is and who may administer it. */
const INFLUX_SERVER = {
  'influx-url': { type: 'string', default: SINK_DEFAULTS.influxUrl, describe: 'InfluxDB base URL' },
  'influx-org': { type: 'string', default: SINK_DEFAULTS.org, describe: 'InfluxDB 2.x organization' },
  'influx-bucket': { type: 'string', default: SINK_DEFAULTS.bucket, describe: 'InfluxDB 2.x bucket' },
  'influx-token-file': { type: 'string', describe: 'File holding the InfluxDB token (else env TOWER_INFLUX_TOKEN)' },
} satisfies Record<string, Options>;

/** The v1-compatibility view of the bucket: DBRP mapping and v1 user. */
const V1_LOGIN = {
  'v1-db': { type: 'string', default: SINK_DEFAULTS.db, describe: 'v1 database (DBRP mapping)' },
  'v1-rp': { type: 'string', default: SINK_DEFAULTS.rp, describe: 'v1 retention policy' },
  'v1-user': { type: 'string', default: SINK_DEFAULTS.v1User, describe: 'v1 user' },
  'v1-password-file': { type: 'string', describe: 'File holding the v1 password (else env TOWER_V1_PASSWORD)' },
} satisfies Record<string, Options>;

const INFLUX = {
  measurement: { type: 'string', default: SINK_DEFAULTS.measurement, describe: 'InfluxDB measurement' },
  ...INFLUX_SERVER,
  v1: { type: 'boolean', default: false, describe: 'Write through the v1-compatibility API /write as a v1 user' },
  ...V1_LOGIN,
} satisfies Record<string, Options>;

/** What setup keeps how long: the raw bucket, and its 1-minute means in <bucket>_1m. */
const RETENTION = {
  measurement: { type: 'string', default: SINK_DEFAULTS.measurement, describe: 'Measurement the sink writes; its 1-minute means go to <bucket>_1m' },
  'raw-retention': { type: 'string', defaultDescription: 'left as it is', describe: "Set the bucket's retention: 30d, 12h, 2w, 1w3d… (0 = forever)" },
  'downsampled-retention': {
    type: 'string',
    defaultDescription: `${formatRetention(DOWNSAMPLE.retentionSeconds)} when created, then left as it is`,
    describe: "Set <bucket>_1m's retention, as --raw-retention",
  },
} satisfies Record<string, Options>;

const SETUP = { ...INFLUX_SERVER, ...V1_LOGIN, ...RETENTION, ...ALERTING } satisfies Record<string, Options>;

const ALERTS = {
  'influx-url': INFLUX_SERVER['influx-url'],
  'influx-org': INFLUX_SERVER['influx-org'],
  'influx-token-file': INFLUX_SERVER['influx-token-file'],
  ...ALERT_PREFIX,
  host: { type: 'string', describe: 'Only this host (exit 2 if it has no statuses)' },
} satisfies Record<string, Options>;

const RUN = {
  brokers: { type: 'string', default: SINK_DEFAULTS.brokers.join(','), describe: 'Kafka bootstrap brokers, host:port,…' },
  topic: { type: 'string', default: SINK_DEFAULTS.topic, describe: 'Topic to consume' },
  group: { type: 'string', default: SINK_DEFAULTS.group, describe: 'Kafka consumer group' },
  'client-id': { type: 'string', default: SINK_DEFAULTS.clientId, describe: 'Kafka client id' },
  'hosts-file': { type: 'string', default: SINK_DEFAULTS.hostsFile, describe: 'Hosts file read before DNS for broker names' },
  ...SECURITY_OPTIONS,
  region: { type: 'string', default: SINK_DEFAULTS.region, describe: 'Value of the region tag' },
  'default-host': { type: 'string', default: SINK_DEFAULTS.defaultHost, describe: 'Host tag for legacy messages without a Kafka key' },
  'max-skew-s': { type: 'number', default: SINK_DEFAULTS.maxSkewS, describe: 'Use the broker time when a sample is further off than this' },
  'dlq-topic': { type: 'string', default: SINK_DEFAULTS.dlqTopic, describe: 'Dead-letter topic for messages that cannot be written' },
  'batch-size': { type: 'number', default: SINK_DEFAULTS.batchSize, describe: 'Most points per InfluxDB write request' },
  'writes-in-flight': {
    type: 'number',
    default: SINK_DEFAULTS.writesInFlight,
    describe: 'Write requests per partition in flight at once; offsets are still committed in order, only past acknowledged writes',
  },
  'gzip-level': {
    type: 'number',
    defaultDescription: '0 (off) when --influx-url is loopback, else 1',
    describe: 'gzip level of write requests, 0 = send them uncompressed',
  },
  'fetch-wait-ms': {
    type: 'number',
    defaultDescription: String(SINK_DEFAULTS.fetchWaitMs),
    describe: 'Longest a fetch from Kafka waits for more messages before returning what it has',
  },
  'linger-ms': {
    type: 'number',
    deprecated: 'use --fetch-wait-ms',
    describe: "Old name of --fetch-wait-ms; not read from TOWER_LINGER_MS, the agent's setting",
  },
  'metrics-port': { type: 'number', default: SINK_DEFAULTS.metricsPort, describe: 'Serve /metrics and /healthz on 127.0.0.1 at this port (0 = off)' },
  ...INFLUX,
} satisfies Record<string, Options>;

const VERIFY = {
  ...INFLUX,
  host: { type: 'string', demandOption: true, describe: 'Host whose CPU_Usage must rise (the Pi under load)' },
  window: { type: 'number', default: 60, describe: 'Seconds to wait for the rise' },
  'min-rise': { type: 'number', default: 20, describe: 'Points of CPU_Usage the load must add to the baseline' },
  baseline: { type: 'number', default: 30, describe: 'Seconds before the start whose mean is the baseline' },
  wait: {
    type: 'number',
    default: 30,
    describe: 'Seconds to wait for readings still on their way (the agent sends every few seconds): the first of the baseline, the last of the window',
  },
} satisfies Record<string, Options>;

const ALL_OPTIONS = Object.keys({ ...COMMON, ...RUN, ...VERIFY, ...SETUP, ...ALERTS });
const COMMAND_OPTIONS = { run: RUN, verify: VERIFY, doctor: RUN, setup: SETUP, alerts: ALERTS } as const;
export type SinkCommand = keyof typeof COMMAND_OPTIONS;

type InfluxArgs = ParsedOptions<typeof INFLUX>;
type RunArgs = ParsedOptions<typeof RUN>;
type VerifyArgs = ParsedOptions<typeof VERIFY>;
type SetupArgs = ParsedOptions<typeof SETUP>;
type AlertsArgs = ParsedOptions<typeof ALERTS>;
/**
 * The parsed options, typed from their specs. yargs fills in the defaults of
 * the named command's options alone, and each command reads only its own.
 */
export type SinkArgs = RunArgs & VerifyArgs & SetupArgs & AlertsArgs;
function parser(args: string[]) {
  const about = 'Consumes Tower samples from Kafka and writes them to InfluxDB.';
  return programParser(PROGRAM, args, about, ALL_OPTIONS, `${PRECEDENCE_NOTE}\nSecrets (token, passwords) come only from the environment or from files.`)
    .demandCommand(1, 'Name a command: run, verify, doctor, setup or alerts.')
    .command('run', 'Consume samples from Kafka and write them to InfluxDB', (y) => y.options(RUN).epilogue(PRECEDENCE_NOTE))
    .command('doctor', 'Check brokers, topic, group, InfluxDB health, token, bucket and DBRP mapping; exit 1 on any failure', (y) =>
      y.options(RUN).epilogue(PRECEDENCE_NOTE),
    )
    .command(
      'setup',
      'Create or fix in InfluxDB: DBRP mapping --v1-db/--v1-rp → bucket, bucket <bucket>_1m with the task filling it and mapping --v1-db/1m, v1 user with read+write on the bucket and read on <bucket>_1m and _monitoring, its password, the deadman/CPU/memory checks and, with --alert-webhook, their notifications (needs an operator token)',
      (y) => y.options(SETUP).epilogue(PRECEDENCE_NOTE),
    )
    .command('alerts', "Print each host's level of every check (from _monitoring); exit 1 if any is CRIT, 0 if none, 2 if it cannot tell", (y) =>
      y.options(ALERTS).epilogue(PRECEDENCE_NOTE),
    )
    .command('verify', "The lab's load test: PASS (exit 0) if CPU_Usage of --host rises by --min-rise within --window", (y) =>
      y.options(VERIFY).epilogue(PRECEDENCE_NOTE),
    );
}

/** Parses argv, environment and config file; exits with code 2 on unknown flags. */
export async function parseSinkArgs(args: string[]): Promise<{ command: SinkCommand; argv: SinkArgs }> {
  // The agent's TOWER_LINGER_MS (produce batching) must not become the sink's deprecated --linger-ms (fetch wait).
  delete process.env.TOWER_LINGER_MS;
  const argv = await parser(args).parseAsync();
  const command = String(argv._[0]) as SinkCommand;
  const unknown = unknownFlags(args, Object.keys({ ...COMMON, ...COMMAND_OPTIONS[command] }));
  if (unknown.length > 0) failUsage(PROGRAM, `unknown option ${unknown.join(', ')}`);
  if (argv.lingerMs !== undefined) process.stderr.write(`${PROGRAM}: --linger-ms is deprecated: use --fetch-wait-ms (TOWER_FETCH_WAIT_MS)\n`);
  return { command, argv: argv as unknown as SinkArgs };
}

export function verifyOptions(argv: VerifyArgs): VerifyOptions {
  return {
    influx: influxTarget(argv),
    db: nonEmpty(argv.v1Db, '--v1-db'),
    measurement: nonEmpty(argv.measurement, '--measurement'),
    host: nonEmpty(argv.host, '--host'),
    baselineS: positive(argv.baseline, '--baseline'),
    windowS: positive(argv.window, '--window'),
    minRise: positive(argv.minRise, '--min-rise'),
    waitS: nonNegative(argv.wait, '--wait'),
  };
}

/** InfluxDB refuses v1 passwords outside these lengths (bytes, as bcrypt counts them). */
const V1_PASSWORD_BYTES = { min: 8, max: 72 };

export function setupOptions(argv: SetupArgs): SetupOptions {
  const password = v1Password(argv);
  const bytes = Buffer.byteLength(password);
  if (bytes < V1_PASSWORD_BYTES.min || bytes > V1_PASSWORD_BYTES.max) {
    throw new ConfigError(
      `the v1 password (TOWER_V1_PASSWORD or --v1-password-file) must be ${V1_PASSWORD_BYTES.min} to ${V1_PASSWORD_BYTES.max} bytes long, got ${bytes}`,
    );
  }
  return {
    url: nonEmpty(argv.influxUrl, '--influx-url'),
    org: nonEmpty(argv.influxOrg, '--influx-org'),
    bucket: nonEmpty(argv.influxBucket, '--influx-bucket'),
    token: influxToken(argv),
    db: nonEmpty(argv.v1Db, '--v1-db'),
    rp: nonEmpty(argv.v1Rp, '--v1-rp'),
    user: nonEmpty(argv.v1User, '--v1-user'),
    password,
    measurement: nonEmpty(argv.measurement, '--measurement'),
    rawRetention: retention(argv.rawRetention, '--raw-retention'),
    downsampledRetention: retention(argv.downsampledRetention, '--downsampled-retention'),
    alerting: alertingOptions(argv),
  };
}

export function alertsOptions(argv: AlertsArgs): AlertsOptions {
  return {
    url: nonEmpty(argv.influxUrl, '--influx-url'),
    org: nonEmpty(argv.influxOrg, '--influx-org'),
    token: influxToken(argv),
    prefix: nonEmpty(argv.alertPrefix, '--alert-prefix'),
    host: argv.host === undefined ? undefined : nonEmpty(argv.host, '--host'),
  };
}

/** A retention flag: unset or empty stays undefined (setup leaves the bucket's as it is), else seconds. */
function retention(value: string | undefined, flag: string): number | undefined {
  if (value === undefined || String(value).trim() === '') return undefined;
  const seconds = parseRetention(String(value));
  if (seconds === undefined)
    throw new ConfigError(`${flag} must be 0 (forever) or at least 1h in whole h, d or w, such as 30d or 1w3d, got ${JSON.stringify(value)}`);
  return seconds;
}

export function sinkOptions(argv: RunArgs): SinkOptions {
  return {
    brokers: parseBrokerList(argv.brokers),
    topic: argv.topic,
    group: argv.group,
    clientId: argv.clientId,
    influx: influxTarget(argv),
    decode: {
      measurement: nonEmpty(argv.measurement, '--measurement'),
      region: nonEmpty(argv.region, '--region'),
      defaultHost: nonEmpty(argv.defaultHost, '--default-host'),
      maxSkewMs: positive(argv.maxSkewS, '--max-skew-s') * 1000,
    },
    dlqTopic: nonEmpty(argv.dlqTopic, '--dlq-topic'),
    batchSize: wholeNumber(argv.batchSize, '--batch-size', 1),
    writesInFlight: wholeNumber(argv.writesInFlight, '--writes-in-flight', 1, 16),
    gzipLevel: wholeNumber(argv.gzipLevel ?? defaultGzipLevel(argv.influxUrl), '--gzip-level', 0, 9),
    fetchWaitMs: fetchWaitMs(argv),
    metricsPort: wholeNumber(argv.metricsPort, '--metrics-port', 0, 65535),
    hostsFile: argv.hostsFile,
    security: kafkaSecurity(argv),
  };
}

/** --fetch-wait-ms, else its old name --linger-ms, else the default. */
function fetchWaitMs(argv: RunArgs): number {
  if (argv.fetchWaitMs === undefined && argv.lingerMs !== undefined) return wholeNumber(argv.lingerMs, '--linger-ms', 0);
  return wholeNumber(argv.fetchWaitMs ?? SINK_DEFAULTS.fetchWaitMs, '--fetch-wait-ms', 0);
}

function influxTarget(argv: InfluxArgs): InfluxTarget {
  const url = argv.influxUrl;
  if (argv.v1) return { api: 'v1', url, db: argv.v1Db, rp: argv.v1Rp, user: argv.v1User, password: v1Password(argv) };
  return { api: 'v2', url, org: argv.influxOrg, bucket: argv.influxBucket, token: influxToken(argv) };
}

function influxToken(argv: { influxTokenFile?: string }): string {
  return readSecret({ env: 'TOWER_INFLUX_TOKEN', file: argv.influxTokenFile, fileFlag: '--influx-token-file' });
}

function v1Password(argv: { v1PasswordFile?: string }): string {
  return readSecret({ env: 'TOWER_V1_PASSWORD', file: argv.v1PasswordFile, fileFlag: '--v1-password-file' });
}
