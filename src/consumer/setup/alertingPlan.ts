import { scryptSync } from 'node:crypto';
import type { Check, CheckBody, Endpoint, EndpointBody, Rule, RuleBody, Tag, TagRule, Threshold } from '../../influx/monitoring.js';

/**
 * What `tower-sink setup` provisions for alerting. Durations are whole
 * seconds. InfluxDB runs each check and rule as a task on a grid of its
 * `every` (multiples of it since the epoch), `offset` later.
 */
export interface AlertingOptions {
  /** Names begin with it, and every status carries the tag tower_alerts=<prefix>. */
  prefix: string;
  bucket: string;
  measurement: string;
  /** RE2 regular expression of the host tags the checks watch; undefined: every host. */
  hosts?: string;
  /** Deadman: a host with no sample for this long goes CRIT (timeSince). */
  silentAfterS: number;
  /** Deadman: a host silent this long is no longer checked (staleTime). */
  forgetAfterS: number;
  /** How often the deadman check runs. */
  checkEveryS: number;
  /** Every check runs this long after its interval ends, so that late samples are in. */
  checkOffsetS: number;
  /** CPU and memory: the window whose lowest value is judged; also how often they run. */
  thresholdForS: number;
  cpuCritPercent: number;
  cpuWarnPercent: number;
  /** mem_used_percent above this is CRIT: MemAvailable under (100 - it) % of MemTotal. */
  memoryCritPercent: number;
  webhook?: Webhook;
}

export interface Webhook {
  url: string;
  auth: WebhookAuth;
}

export type WebhookAuth = { method: 'none' } | { method: 'bearer'; token: string } | { method: 'basic'; user: string; password: string };

export const ALERTING_DEFAULTS = {
  prefix: 'tower',
  silentAfter: '30s',
  /** The retention of _monitoring: statuses older than that are gone anyway. */
  forgetAfter: '7d',
  checkEvery: '10s',
  /** The agent batches samples for up to 5 s (--linger-ms) before they travel to InfluxDB. */
  checkOffset: '6s',
  thresholdFor: '1m',
  cpuCrit: 90,
  cpuWarn: 75,
  memoryCrit: 90,
} as const;

/** The tag every status of these checks carries, whose value is the prefix. */
export const PREFIX_TAG = 'tower_alerts';
/** The tag that names the check among them: deadman, cpu or memory. */
export const CHECK_TAG = 'tower_check';

export type CheckKey = 'deadman' | 'cpu' | 'memory';

export interface WantedCheck {
  key: CheckKey;
  /** What the check does, for setup's line. */
  summary: string;
  body: CheckBody;
}

export interface WantedRule {
  key: CheckKey;
  summary: string;
  body: RuleBody;
}

const UNITS: [string, number][] = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/** A Flux duration such as 30s, 1m30s or 7d, in whole seconds; undefined if it is none or not whole seconds. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(w|d|h|m|s|ms|us|µs|ns))+$/.test(trimmed)) return undefined;
  let ms = 0;
  for (const [, n, unit] of trimmed.matchAll(/(\d+)(ms|us|µs|ns|w|d|h|m|s)/g)) {
    const value = Number(n);
    if (unit === 'ms') ms += value;
    else if (unit === 'us' || unit === 'µs') ms += value / 1000;
    else if (unit === 'ns') ms += value / 1e6;
    else ms += value * 1000 * (unit === 'w' ? 604_800 : (UNITS.find(([u]) => u === unit)?.[1] ?? 0));
  }
  return ms > 0 && ms % 1000 === 0 ? ms / 1000 : undefined;
}

/** Whole seconds as a Flux duration: 90 → 1m30s, 604800 → 7d. */
export function formatDuration(seconds: number): string {
  let rest = seconds;
  let text = '';
  for (const [unit, size] of UNITS) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text || '0s';
}

/** A rule must run less often than its check, or it misses changes of level; see docs/alerting.md. */
export function ruleEveryS(checkEveryS: number): number {
  return 2 * checkEveryS;
}

/** Why these options cannot work, or undefined. */
export function alertingProblem(o: AlertingOptions): string | undefined {
  if (o.checkOffsetS >= o.checkEveryS)
    return `--check-offset (${formatDuration(o.checkOffsetS)}) must be shorter than --check-every (${formatDuration(o.checkEveryS)})`;
  if (o.checkOffsetS >= o.thresholdForS)
    return `--check-offset (${formatDuration(o.checkOffsetS)}) must be shorter than --threshold-for (${formatDuration(o.thresholdForS)})`;
  if (o.forgetAfterS <= o.silentAfterS + o.checkEveryS)
    return `--forget-after (${formatDuration(o.forgetAfterS)}) must be longer than --silent-after plus --check-every, or the deadman check never sees a host go silent`;
  for (const [flag, value] of [
    ['--cpu-crit', o.cpuCritPercent],
    ['--cpu-warn', o.cpuWarnPercent],
    ['--memory-crit', o.memoryCritPercent],
  ] as const) {
    if (!(value > 0 && value < 100)) return `${flag} must be a percentage between 0 and 100, got ${value}`;
  }
  if (o.cpuWarnPercent >= o.cpuCritPercent) return `--cpu-warn (${o.cpuWarnPercent}) must be below --cpu-crit (${o.cpuCritPercent})`;
  if (o.prefix.includes('"') || o.prefix.includes('\\')) return '--alert-prefix must not contain double quotes or backslashes';
  if (o.webhook && !/^https?:\/\//.test(o.webhook.url)) return `--alert-webhook must be an http:// or https:// URL, got ${o.webhook.url}`;
  return undefined;
}

export const checkName = (prefix: string, key: CheckKey) => `${prefix} ${{ deadman: 'deadman', cpu: 'CPU_Usage', memory: 'memory' }[key]}`;
export const endpointName = (prefix: string) => `${prefix} webhook`;
export const ruleName = (prefix: string, key: CheckKey) => `${checkName(prefix, key)} → webhook`;

/** A Flux string literal. */
function fluxString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$\{/g, '\\${')}"`;
}

/** An interpolation in a status message template (kept out of JavaScript's own). */
const interpolate = (expression: string) => `\${${expression}}`;

/**
 * The query of a check. InfluxDB rewrites it before it runs: every `start:`
 * becomes -every (deadman: -staleTime), every `every:` the check's every,
 * `stop:` goes, and a deadman check loses its aggregateWindow. Grouping by
 * host makes one status per host, whatever other tags (region) its series carry.
 */
function checkQuery(o: AlertingOptions, field: string, tail: string): string {
  const hosts = o.hosts === undefined ? '' : `\n  |> filter(fn: (r) => r.host =~ /${o.hosts.replace(/\//g, '\\/')}/)`;
  return [
    `from(bucket: ${fluxString(o.bucket)})`,
    '  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)',
    `  |> filter(fn: (r) => r._measurement == ${fluxString(o.measurement)} and r._field == ${fluxString(field)})${hosts}`,
    '  |> group(columns: ["_measurement", "_field", "host"])',
    `  |> ${tail}`,
  ].join('\n');
}

function tags(o: AlertingOptions, key: CheckKey): Tag[] {
  return [
    { key: PREFIX_TAG, value: o.prefix },
    { key: CHECK_TAG, value: key },
  ];
}

/** The three checks, in the order setup makes them. */
export function wantedChecks(o: AlertingOptions, orgID: string): WantedCheck[] {
  const every = formatDuration(o.checkEveryS);
  const offset = formatDuration(o.checkOffsetS);
  const silent = formatDuration(o.silentAfterS);
  const window = formatDuration(o.thresholdForS);
  const common = { orgID, status: 'active' as const, offset };
  const threshold = (key: CheckKey, field: string, summary: string, message: string, thresholds: Threshold[]): WantedCheck => ({
    key,
    summary,
    body: {
      ...common,
      type: 'threshold',
      name: checkName(o.prefix, key),
      description: `Tower: ${summary} (tower-sink setup; the lowest ${field} of each ${window} window, so the level holds for the whole window)`,
      every: window,
      query: { text: checkQuery(o, field, `aggregateWindow(every: ${window}, fn: min, createEmpty: false)`) },
      statusMessageTemplate: message,
      tags: tags(o, key),
      thresholds,
    },
  });
  const deadmanSummary = `CRIT after ${silent} without a sample, checked every ${every}`;
  return [
    {
      key: 'deadman',
      summary: deadmanSummary,
      body: {
        ...common,
        type: 'deadman',
        name: checkName(o.prefix, 'deadman'),
        description: `Tower: ${deadmanSummary}; a host silent for ${formatDuration(o.forgetAfterS)} is no longer checked (tower-sink setup)`,
        every,
        query: { text: checkQuery(o, 'CPU_Usage', 'last()') },
        // InfluxDB writes the template into the task as one string literal, escaping its quotes: an interpolation cannot hold a string.
        statusMessageTemplate: `${interpolate('r.host')}: last sample at ${interpolate('string(v: time(v: r._source_timestamp))')} (CRIT when older than ${silent})`,
        tags: tags(o, 'deadman'),
        timeSince: silent,
        staleTime: formatDuration(o.forgetAfterS),
        reportZero: false,
        level: 'CRIT',
      },
    },
    threshold(
      'cpu',
      'CPU_Usage',
      `WARN above ${o.cpuWarnPercent} %, CRIT above ${o.cpuCritPercent} % for ${window}`,
      `${interpolate('r.host')}: CPU_Usage at or above ${interpolate('string(v: r.CPU_Usage)')} % for ${window} (WARN above ${o.cpuWarnPercent}, CRIT above ${o.cpuCritPercent})`,
      [
        // allValues has no effect in InfluxDB 2.8's generated Flux: the min aggregate is what makes "for the whole window" true.
        { type: 'greater', value: o.cpuCritPercent, level: 'CRIT', allValues: true },
        { type: 'greater', value: o.cpuWarnPercent, level: 'WARN', allValues: true },
      ],
    ),
    threshold(
      'memory',
      'mem_used_percent',
      `CRIT above ${o.memoryCritPercent} % in use, i.e. MemAvailable under ${round(100 - o.memoryCritPercent)} %, for ${window}`,
      `${interpolate('r.host')}: ${interpolate('string(v: r.mem_used_percent)')} % of memory or more in use for ${window} (CRIT above ${o.memoryCritPercent})`,
      [{ type: 'greater', value: o.memoryCritPercent, level: 'CRIT', allValues: true }],
    ),
  ];
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * A fingerprint of the webhook's secret for the endpoint's description:
 * InfluxDB never shows a stored secret again, so this is how a second run
 * tells whether the secret changed. scrypt, salted with the organization
 * and the endpoint's name, so the description does not give the secret away.
 */
export function secretFingerprint(auth: WebhookAuth, orgID: string, name: string): string | undefined {
  if (auth.method === 'none') return undefined;
  const material = auth.method === 'bearer' ? ['bearer', auth.token] : ['basic', auth.user, auth.password];
  return scryptSync(JSON.stringify(material), `tower-sink setup:${orgID}:${name}`, 16).toString('hex');
}

export function wantedEndpoint(o: AlertingOptions & { webhook: Webhook }, orgID: string): EndpointBody {
  const name = endpointName(o.prefix);
  const { auth } = o.webhook;
  const fingerprint = secretFingerprint(auth, orgID, name);
  return {
    type: 'http',
    name,
    description: `Tower alerts webhook (tower-sink setup); ${fingerprint ? `secret fingerprint ${fingerprint}` : 'no secret'}`,
    orgID,
    status: 'active',
    url: o.webhook.url,
    method: 'POST',
    authMethod: auth.method,
    ...(auth.method === 'bearer' ? { token: auth.token } : {}),
    ...(auth.method === 'basic' ? { username: auth.user, password: auth.password } : {}),
  };
}

/**
 * One rule per check, each posting every change of level (ANY → ANY) of its
 * check's statuses, and running half as often as its check with the same
 * offset: see docs/alerting.md for why.
 */
export function wantedRules(o: AlertingOptions, orgID: string, endpointID: string): WantedRule[] {
  return wantedChecks(o, orgID).map(({ key, body }) => {
    const every = ruleEveryS(parseDuration(body.every) as number);
    const summary = `every change of level, read every ${formatDuration(every)}`;
    const why = `twice the check's interval, so that no change of level falls between two runs`;
    const tagRules: TagRule[] = body.tags.map((t) => ({ key: t.key, value: t.value, operator: 'equal' }));
    return {
      key,
      summary,
      body: {
        type: 'http',
        name: ruleName(o.prefix, key),
        description: `Tower: posts every change of level of the check "${body.name}" to the webhook; runs every ${formatDuration(every)}, ${why} (tower-sink setup)`,
        orgID,
        endpointID,
        status: 'active',
        every: formatDuration(every),
        offset: body.offset,
        statusRules: [{ currentLevel: 'ANY', previousLevel: 'ANY' }],
        tagRules,
      },
    };
  });
}

export type Decision<T> = { kind: 'create' } | { kind: 'present'; found: T } | { kind: 'update'; found: T; changed: string[] };

function decide<T extends { name: string }>(existing: readonly T[], name: string, differences: (found: T) => string[]): Decision<T> {
  const found = existing.find((e) => e.name === name);
  if (!found) return { kind: 'create' };
  const changed = differences(found);
  return changed.length === 0 ? { kind: 'present', found } : { kind: 'update', found, changed };
}

/** The names of the fields whose values differ. */
function differing(pairs: Record<string, [unknown, unknown]>): string[] {
  return Object.entries(pairs)
    .filter(([, [have, want]]) => JSON.stringify(have) !== JSON.stringify(want))
    .map(([name]) => name);
}

const seconds = (duration: string | undefined) => (duration === undefined ? undefined : (parseDuration(duration) ?? duration));
const tagList = (list: readonly { key: string; value: string; operator?: string }[] | undefined) =>
  (list ?? []).map((t) => `${t.key}${t.operator === undefined || t.operator === 'equal' ? '=' : ` ${t.operator} `}${t.value}`).sort();

function thresholdList(list: readonly Threshold[] | undefined): string[] {
  return (list ?? [])
    .map((t) =>
      t.type === 'range'
        ? `${t.level} range ${t.within ? 'within' : 'outside'} ${t.min}..${t.max}${t.allValues ? ' all' : ''}`
        : `${t.level} ${t.type} ${t.value}${t.allValues ? ' all' : ''}`,
    )
    .sort();
}

/** Whether the check named like `want` is missing, as wanted, or to be replaced (and which fields differ). */
export function decideCheck(existing: readonly Check[], want: CheckBody): Decision<Check> {
  return decide(existing, want.name, (found) =>
    differing({
      type: [found.type, want.type],
      description: [found.description ?? '', want.description],
      status: [found.status ?? 'active', want.status],
      every: [seconds(found.every), seconds(want.every)],
      offset: [seconds(found.offset) ?? 0, seconds(want.offset)],
      query: [found.query?.text, want.query.text],
      message: [found.statusMessageTemplate ?? '', want.statusMessageTemplate],
      tags: [tagList(found.tags), tagList(want.tags)],
      ...(want.type === 'deadman'
        ? {
            timeSince: [seconds(found.timeSince), seconds(want.timeSince)],
            staleTime: [seconds(found.staleTime), seconds(want.staleTime)],
            reportZero: [found.reportZero ?? false, want.reportZero],
            level: [found.level, want.level],
          }
        : { thresholds: [thresholdList(found.thresholds), thresholdList(want.thresholds)] }),
    }),
  );
}

/** The endpoint's secrets cannot be read back: the fingerprint in its description stands for them. */
export function decideEndpoint(existing: readonly Endpoint[], want: EndpointBody): Decision<Endpoint> {
  return decide(existing, want.name, (found) =>
    differing({
      type: [found.type, want.type],
      url: [found.url, want.url],
      method: [found.method?.toUpperCase(), want.method],
      authMethod: [found.authMethod, want.authMethod],
      status: [found.status, want.status],
      secret: [found.description ?? '', want.description],
    }),
  );
}

/**
 * A rule's task holds the endpoint's URL and auth as they were when the rule
 * was last written: after the endpoint changed, the rule is written again.
 */
export function decideRule(existing: readonly Rule[], want: RuleBody, endpointChanged: boolean): Decision<Rule> {
  return decide(existing, want.name, (found) => [
    ...differing({
      type: [found.type, want.type],
      description: [found.description ?? '', want.description],
      endpoint: [found.endpointID, want.endpointID],
      status: [found.status, want.status],
      every: [seconds(found.every), seconds(want.every)],
      offset: [seconds(found.offset) ?? 0, seconds(want.offset)],
      statusRules: [
        (found.statusRules ?? []).map((s) => `${s.previousLevel ?? '-'}→${s.currentLevel}`).sort(),
        want.statusRules.map((s) => `${s.previousLevel ?? '-'}→${s.currentLevel}`).sort(),
      ],
      tagRules: [tagList(found.tagRules), tagList(want.tagRules)],
    }),
    ...(endpointChanged && found.endpointID === want.endpointID ? ['endpoint settings'] : []),
  ]);
}

/** The secret keys InfluxDB made for an endpoint ("secret: <key>" in its answer). */
export function endpointSecretKeys(endpoint: Endpoint): string[] {
  return [endpoint.token, endpoint.username, endpoint.password].flatMap((field) => (field?.startsWith('secret: ') ? [field.slice('secret: '.length)] : []));
}
