import type { Options } from 'yargs';
import { ConfigError, nonEmpty, type ParsedOptions, positive } from '../../cli.js';
import { readSecret, type SecretSource } from '../../secrets.js';
import { ALERTING_DEFAULTS, type AlertingOptions, alertingProblem, parseDuration, type WebhookAuth } from './alertingPlan.js';

/** The checks' names and the tag of their statuses: setup makes them, `alerts` reads them. */
export const ALERT_PREFIX = {
  'alert-prefix': {
    type: 'string',
    default: ALERTING_DEFAULTS.prefix,
    describe: 'Names of the checks, endpoint and rules begin with it; their statuses carry tower_alerts=<prefix>',
  },
} satisfies Record<string, Options>;

/** setup's alerting options (docs/alerting.md). */
export const ALERTING = {
  alerts: { type: 'boolean', default: true, describe: 'Provision the checks and notifications (--no-alerts leaves alerting alone)' },
  ...ALERT_PREFIX,
  'alert-hosts': { type: 'string', describe: 'Regular expression (RE2) of the host tags the checks watch (default: every host)' },
  'silent-after': { type: 'string', default: ALERTING_DEFAULTS.silentAfter, describe: 'Deadman: a host without a sample for this long is CRIT' },
  'forget-after': { type: 'string', default: ALERTING_DEFAULTS.forgetAfter, describe: 'Deadman: a host silent this long is no longer checked' },
  'check-every': { type: 'string', default: ALERTING_DEFAULTS.checkEvery, describe: 'How often the deadman check runs' },
  'check-offset': {
    type: 'string',
    default: ALERTING_DEFAULTS.checkOffset,
    describe: 'Checks run this long after their interval ends, so that late samples are in (the agent batches up to 5 s)',
  },
  'threshold-for': {
    type: 'string',
    default: ALERTING_DEFAULTS.thresholdFor,
    describe: 'CPU and memory checks: a level must hold for this whole window; also how often they run',
  },
  'cpu-crit': { type: 'number', default: ALERTING_DEFAULTS.cpuCrit, describe: 'CPU_Usage (%) above which a host is CRIT' },
  'cpu-warn': { type: 'number', default: ALERTING_DEFAULTS.cpuWarn, describe: 'CPU_Usage (%) above which a host is WARN' },
  'memory-crit': { type: 'number', default: ALERTING_DEFAULTS.memoryCrit, describe: 'mem_used_percent above which a host is CRIT' },
  'alert-webhook': { type: 'string', describe: 'URL InfluxDB posts every change of level to, as JSON (none: statuses only in _monitoring)' },
  'alert-webhook-token-file': { type: 'string', describe: 'File holding a bearer token for the webhook (else env TOWER_ALERT_WEBHOOK_TOKEN)' },
  'alert-webhook-user': { type: 'string', describe: 'Basic-auth user for the webhook' },
  'alert-webhook-password-file': {
    type: 'string',
    describe: 'File holding the basic-auth password for the webhook (else env TOWER_ALERT_WEBHOOK_PASSWORD)',
  },
} satisfies Record<string, Options>;

type AlertingArgs = ParsedOptions<typeof ALERTING> & { influxBucket: string; measurement?: string };

/** The alerting part of setup's options; undefined with --no-alerts. */
export function alertingOptions(argv: AlertingArgs): AlertingOptions | undefined {
  if (argv.alerts === false) return undefined;
  const options: AlertingOptions = {
    prefix: nonEmpty(argv.alertPrefix, '--alert-prefix'),
    bucket: nonEmpty(argv.influxBucket, '--influx-bucket'),
    measurement: nonEmpty(argv.measurement ?? 'labs', '--measurement'),
    hosts: argv.alertHosts === undefined || argv.alertHosts === '' ? undefined : argv.alertHosts,
    silentAfterS: duration(argv.silentAfter, '--silent-after'),
    forgetAfterS: duration(argv.forgetAfter, '--forget-after'),
    checkEveryS: duration(argv.checkEvery, '--check-every'),
    checkOffsetS: duration(argv.checkOffset, '--check-offset', true),
    thresholdForS: duration(argv.thresholdFor, '--threshold-for'),
    cpuCritPercent: positive(argv.cpuCrit, '--cpu-crit'),
    cpuWarnPercent: positive(argv.cpuWarn, '--cpu-warn'),
    memoryCritPercent: positive(argv.memoryCrit, '--memory-crit'),
    webhook: argv.alertWebhook ? { url: argv.alertWebhook.trim(), auth: webhookAuth(argv) } : undefined,
  };
  const problem = alertingProblem(options);
  if (problem) throw new ConfigError(problem);
  return options;
}

function duration(value: string | undefined, flag: string, zeroAllowed = false): number {
  const text = String(value ?? '').trim();
  if (zeroAllowed && /^0+[a-z]*$/.test(text)) return 0;
  const seconds = parseDuration(text);
  if (seconds === undefined) throw new ConfigError(`${flag} must be a duration in whole seconds such as 30s, 1m or 7d, got ${JSON.stringify(text)}`);
  return seconds;
}

/** A bearer token or a basic-auth password, from a file or the environment like every secret; never from argv. */
function webhookAuth(argv: AlertingArgs): WebhookAuth {
  const token = optionalSecret({ env: 'TOWER_ALERT_WEBHOOK_TOKEN', file: argv.alertWebhookTokenFile, fileFlag: '--alert-webhook-token-file' });
  const user = argv.alertWebhookUser?.trim() || undefined;
  const password = optionalSecret({ env: 'TOWER_ALERT_WEBHOOK_PASSWORD', file: argv.alertWebhookPasswordFile, fileFlag: '--alert-webhook-password-file' });
  if (token !== undefined && (user !== undefined || password !== undefined)) {
    throw new ConfigError('the webhook takes a bearer token or a basic-auth user and password, not both');
  }
  if (token !== undefined) return { method: 'bearer', token };
  if (user !== undefined && password !== undefined) return { method: 'basic', user, password };
  if (user !== undefined)
    throw new ConfigError('--alert-webhook-user needs a password: set TOWER_ALERT_WEBHOOK_PASSWORD or --alert-webhook-password-file PATH');
  if (password !== undefined) throw new ConfigError('a webhook password needs --alert-webhook-user');
  return { method: 'none' };
}

function optionalSecret(source: SecretSource): string | undefined {
  if (!source.file && !process.env[source.env]?.trim()) return undefined;
  return readSecret(source);
}
