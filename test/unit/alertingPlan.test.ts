import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AlertingOptions,
  alertingProblem,
  decideCheck,
  decideEndpoint,
  decideRule,
  endpointSecretKeys,
  formatDuration,
  parseDuration,
  ruleEveryS,
  secretFingerprint,
  wantedChecks,
  wantedEndpoint,
  wantedRules,
} from '../../src/consumer/setup/alertingPlan.js';
import type { Check, Endpoint, Rule } from '../../src/influx/monitoring.js';

const defaults: AlertingOptions = {
  prefix: 'tower',
  bucket: 'Labs',
  measurement: 'labs',
  silentAfterS: 30,
  forgetAfterS: 7 * 86_400,
  checkEveryS: 10,
  checkOffsetS: 6,
  thresholdForS: 60,
  cpuCritPercent: 90,
  cpuWarnPercent: 75,
  memoryCritPercent: 90,
};
const webhook = { url: 'http://127.0.0.1:5555/hook', auth: { method: 'bearer' as const, token: 't0ken' } };

/** A check as InfluxDB lists it after creating `body`. */
const stored = (body: ReturnType<typeof wantedChecks>[number]['body'], over: Partial<Check> = {}): Check => ({
  ...body,
  id: `id-${body.name}`,
  taskID: 't1',
  ...over,
});

test('durations: Flux literals in whole seconds, and back', () => {
  assert.equal(parseDuration('30s'), 30);
  assert.equal(parseDuration('1m30s'), 90);
  assert.equal(parseDuration('7d'), 604_800);
  assert.equal(parseDuration('1w'), 604_800);
  assert.equal(parseDuration('2000ms'), 2);
  assert.equal(parseDuration('1500ms'), undefined, 'not whole seconds');
  assert.equal(parseDuration('30'), undefined, 'no unit');
  assert.equal(parseDuration('0s'), undefined);
  assert.equal(parseDuration('ten seconds'), undefined);
  assert.equal(formatDuration(90), '1m30s');
  assert.equal(formatDuration(604_800), '7d');
  assert.equal(formatDuration(3_661), '1h1m1s');
});

test('the lab defaults: deadman CRIT after 30s without a sample, every 10s, 6s late; CPU WARN 75 / CRIT 90 and memory CRIT 90 over 1m', () => {
  const [deadman, cpu, memory] = wantedChecks(defaults, 'org1').map((c) => c.body);
  assert.deepEqual(
    {
      name: deadman?.name,
      type: deadman?.type,
      every: deadman?.every,
      offset: deadman?.offset,
      timeSince: deadman?.timeSince,
      staleTime: deadman?.staleTime,
      level: deadman?.level,
      tags: deadman?.tags,
    },
    {
      name: 'tower deadman',
      type: 'deadman',
      every: '10s',
      offset: '6s',
      timeSince: '30s',
      staleTime: '7d',
      level: 'CRIT',
      tags: [
        { key: 'tower_alerts', value: 'tower' },
        { key: 'tower_check', value: 'deadman' },
      ],
    },
  );
  assert.equal(
    deadman?.query.text,
    [
      'from(bucket: "Labs")',
      '  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)',
      '  |> filter(fn: (r) => r._measurement == "labs" and r._field == "CPU_Usage")',
      '  |> group(columns: ["_measurement", "_field", "host"])',
      '  |> last()',
    ].join('\n'),
  );
  assert.equal(deadman?.statusMessageTemplate, '${r.host}: last sample at ${string(v: time(v: r._source_timestamp))} (CRIT when older than 30s)');
  assert.deepEqual(
    [cpu?.name, cpu?.every, cpu?.offset, cpu?.thresholds],
    [
      'tower CPU_Usage',
      '1m',
      '6s',
      [
        { type: 'greater', value: 90, level: 'CRIT', allValues: true },
        { type: 'greater', value: 75, level: 'WARN', allValues: true },
      ],
    ],
  );
  assert.match(cpu?.query.text ?? '', /r\._field == "CPU_Usage"\)\n.*\n {2}\|> aggregateWindow\(every: 1m, fn: min, createEmpty: false\)$/);
  assert.deepEqual([memory?.name, memory?.thresholds], ['tower memory', [{ type: 'greater', value: 90, level: 'CRIT', allValues: true }]]);
  assert.match(memory?.query.text ?? '', /r\._field == "mem_used_percent"/);
  // InfluxDB writes the template as one Flux string literal and escapes its quotes: no quote may stand inside an interpolation.
  for (const check of [deadman, cpu, memory]) assert.doesNotMatch(check?.statusMessageTemplate ?? '', /\$\{[^}]*"/);
});

test('--alert-hosts becomes a regular expression filter, slashes escaped', () => {
  const [deadman] = wantedChecks({ ...defaults, hosts: '^pi/(1|2)$' }, 'org1');
  assert.match(deadman?.body.query.text ?? '', /\n {2}\|> filter\(fn: \(r\) => r\.host =~ \/\^pi\\\/\(1\|2\)\$\/\)\n/);
});

test('each rule runs half as often as its check, with the same offset, and posts every change of level of that check only', () => {
  const rules = wantedRules(defaults, 'org1', 'ep1').map((r) => r.body);
  assert.deepEqual(
    rules.map((r) => [r.name, r.every, r.offset]),
    [
      ['tower deadman → webhook', '20s', '6s'],
      ['tower CPU_Usage → webhook', '2m', '6s'],
      ['tower memory → webhook', '2m', '6s'],
    ],
  );
  for (const rule of rules) {
    assert.deepEqual(rule.statusRules, [{ currentLevel: 'ANY', previousLevel: 'ANY' }]);
    assert.equal(rule.endpointID, 'ep1');
  }
  assert.deepEqual(rules[1]?.tagRules, [
    { key: 'tower_alerts', value: 'tower', operator: 'equal' },
    { key: 'tower_check', value: 'cpu', operator: 'equal' },
  ]);
  assert.equal(ruleEveryS(4), 8);
});

test('options that cannot work are refused with the flag to fix', () => {
  assert.equal(alertingProblem(defaults), undefined);
  assert.match(alertingProblem({ ...defaults, checkOffsetS: 10 }) ?? '', /--check-offset \(10s\) must be shorter than --check-every \(10s\)/);
  assert.match(alertingProblem({ ...defaults, thresholdForS: 5 }) ?? '', /shorter than --threshold-for/);
  assert.match(alertingProblem({ ...defaults, forgetAfterS: 35 }) ?? '', /--forget-after .* never sees a host go silent/);
  assert.match(alertingProblem({ ...defaults, cpuWarnPercent: 95 }) ?? '', /--cpu-warn \(95\) must be below --cpu-crit \(90\)/);
  assert.match(alertingProblem({ ...defaults, memoryCritPercent: 120 }) ?? '', /--memory-crit must be a percentage/);
  assert.match(alertingProblem({ ...defaults, webhook: { url: 'ftp://x', auth: { method: 'none' } } }) ?? '', /--alert-webhook must be an http/);
  assert.match(alertingProblem({ ...defaults, prefix: 'a"b' }) ?? '', /--alert-prefix/);
});

test('checks: created when no check has the name, present when all fields match, else updated naming the fields', () => {
  const [deadman, cpu] = wantedChecks(defaults, 'org1').map((c) => c.body);
  if (!deadman || !cpu) throw new Error('no checks');
  assert.deepEqual(decideCheck([stored(cpu)], deadman), { kind: 'create' });
  const same = stored(deadman, { every: '10s', offset: '6s' });
  assert.deepEqual(decideCheck([same], deadman), { kind: 'present', found: same });
  // InfluxDB may spell a duration differently (60s for 1m): the same length of time is no change.
  assert.equal(decideCheck([stored(cpu, { every: '60s' })], cpu).kind, 'present');
  const changed = stored(deadman, { timeSince: '1m', status: 'inactive', tags: [] });
  assert.deepEqual(decideCheck([changed], deadman), { kind: 'update', found: changed, changed: ['status', 'tags', 'timeSince'] });
  const thresholds = stored(cpu, { thresholds: [{ type: 'greater', value: 95, level: 'CRIT', allValues: true }] });
  assert.deepEqual(decideCheck([thresholds], cpu), { kind: 'update', found: thresholds, changed: ['thresholds'] });
  const custom = stored(deadman, { type: 'custom' });
  assert.equal(decideCheck([custom], deadman).kind, 'update');
});

test('endpoint: the secret is compared by the fingerprint in the description, never read back', () => {
  const want = wantedEndpoint({ ...defaults, webhook }, 'org1');
  assert.equal(want.authMethod, 'bearer');
  assert.equal(want.token, 't0ken');
  assert.doesNotMatch(want.description, /t0ken/);
  const listed: Endpoint = { ...want, id: 'ep1', token: 'secret: ep1-token', description: want.description };
  assert.equal(decideEndpoint([listed], want).kind, 'present');
  const newToken = wantedEndpoint({ ...defaults, webhook: { ...webhook, auth: { method: 'bearer', token: 'other' } } }, 'org1');
  assert.deepEqual(decideEndpoint([listed], newToken), { kind: 'update', found: listed, changed: ['secret'] });
  const moved = wantedEndpoint({ ...defaults, webhook: { ...webhook, url: 'https://hooks.example/x' } }, 'org1');
  assert.deepEqual(decideEndpoint([listed], moved), { kind: 'update', found: listed, changed: ['url'] });
  assert.deepEqual(endpointSecretKeys(listed), ['ep1-token']);
  const basic = wantedEndpoint({ ...defaults, webhook: { ...webhook, auth: { method: 'basic', user: 'u', password: 'p4ss' } } }, 'org1');
  assert.deepEqual([basic.authMethod, basic.username, basic.password, basic.token], ['basic', 'u', 'p4ss', undefined]);
  assert.match(wantedEndpoint({ ...defaults, webhook: { ...webhook, auth: { method: 'none' } } }, 'org1').description, /no secret$/);
});

test('secret fingerprints differ by secret, organization and endpoint name', () => {
  const a = secretFingerprint({ method: 'bearer', token: 'x' }, 'org1', 'tower webhook');
  assert.match(a ?? '', /^[0-9a-f]{32}$/);
  assert.equal(secretFingerprint({ method: 'bearer', token: 'x' }, 'org1', 'tower webhook'), a);
  assert.notEqual(secretFingerprint({ method: 'bearer', token: 'y' }, 'org1', 'tower webhook'), a);
  assert.notEqual(secretFingerprint({ method: 'bearer', token: 'x' }, 'org2', 'tower webhook'), a);
  assert.notEqual(secretFingerprint({ method: 'basic', user: 'x', password: '' }, 'org1', 'tower webhook'), a);
  assert.equal(secretFingerprint({ method: 'none' }, 'org1', 'tower webhook'), undefined);
});

test('rules: written again after the endpoint changed, since their tasks keep its old URL and auth', () => {
  const [want] = wantedRules(defaults, 'org1', 'ep1').map((r) => r.body);
  if (!want) throw new Error('no rule');
  const listed: Rule = { ...want, id: 'r1', taskID: 't1' };
  assert.equal(decideRule([listed], want, false).kind, 'present');
  assert.deepEqual(decideRule([listed], want, true), { kind: 'update', found: listed, changed: ['endpoint settings'] });
  const other = { ...listed, endpointID: 'ep0', every: '10s', statusRules: [{ currentLevel: 'CRIT' as const }] };
  assert.deepEqual(decideRule([other], want, true), { kind: 'update', found: other, changed: ['endpoint', 'every', 'statusRules'] });
  assert.deepEqual(decideRule([], want, false), { kind: 'create' });
});
