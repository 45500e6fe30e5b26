import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/cli.js';
import { alertsExitCode, hostLevels, levelsTable, lookbackS, prefixedChecks, statusesQuery } from '../../src/consumer/alerts/alertsTable.js';
import { alertingOptions } from '../../src/consumer/setup/alertingOptions.js';
import type { Check } from '../../src/influx/monitoring.js';
import { ALERTING_ARGS } from './alertingArgs.js';

const row = (result: string, host: string, check: string, level: string, time: string, message = `${host} ${level}`) => ({
  result,
  table: '0',
  _time: time,
  _value: message,
  _check_name: check,
  _level: level,
  host,
});

test('levels: the latest status, since the latest change of level, or since the oldest status read when it never changed', () => {
  const levels = hostLevels([
    row('current', 'pi2', 'tower deadman', 'crit', '2026-12-03T12:00:00Z', 'pi2: last sample at …'),
    row('current', 'pi1', 'tower deadman', 'ok', '2026-12-03T12:00:00Z'),
    row('oldest', 'pi1', 'tower deadman', 'ok', '2026-12-03T10:00:00Z'),
    row('oldest', 'pi2', 'tower deadman', 'ok', '2026-12-03T10:00:00Z'),
    row('changed', 'pi2', 'tower deadman', 'crit', '2026-12-03T11:40:10Z'),
    row('current', 'pi1', 'tower CPU_Usage', 'warn', '2026-12-03T12:00:00Z'),
    row('changed', 'pi1', 'tower CPU_Usage', 'warn', '2026-12-03T11:59:00Z'),
  ]);
  assert.deepEqual(
    levels.map((l) => [l.host, l.check, l.level, new Date(l.since).toISOString(), l.sinceOrEarlier]),
    [
      ['pi1', 'tower CPU_Usage', 'WARN', '2026-12-03T11:59:00.000Z', false],
      ['pi1', 'tower deadman', 'OK', '2026-12-03T10:00:00.000Z', true],
      ['pi2', 'tower deadman', 'CRIT', '2026-12-03T11:40:10.000Z', false],
    ],
  );
  assert.deepEqual(levelsTable(levels), [
    'HOST  CHECK            LEVEL  SINCE                            MESSAGE',
    'pi1   tower CPU_Usage  WARN   2026-12-03 11:59:00Z             pi1 warn',
    'pi1   tower deadman    OK     2026-12-03 10:00:00Z or earlier  pi1 ok',
    'pi2   tower deadman    CRIT   2026-12-03 11:40:10Z             pi2: last sample at …',
  ]);
  assert.equal(alertsExitCode(levels), 1);
  assert.equal(alertsExitCode(levels.filter((l) => l.level !== 'CRIT')), 0);
  assert.equal(alertsExitCode([]), 0);
});

const check = (over: Partial<Check>): Check => ({ id: 'c', name: 'tower deadman', type: 'deadman', orgID: 'o', query: { text: '' }, ...over });

test('which checks, and how far back: the deadman staleTime, three intervals of the others, an hour at least', () => {
  const mine = check({ tags: [{ key: 'tower_alerts', value: 'tower' }], staleTime: '7d' });
  const theirs = check({ tags: [{ key: 'tower_alerts', value: 'lab2' }] });
  assert.deepEqual(prefixedChecks([mine, theirs, check({})], 'tower'), [mine]);
  assert.equal(lookbackS([mine, check({ type: 'threshold', every: '1m' })]), 604_800);
  assert.equal(lookbackS([check({ type: 'threshold', every: '1m' })]), 3600);
  assert.equal(lookbackS([check({ type: 'threshold', every: '1h' })]), 10_800);
});

test('the statuses query reads _message of the prefix, for one host when asked, quoted', () => {
  const q = statusesQuery('tower', 'pi"1', 604_800);
  assert.match(q, /range\(start: -7d\)/);
  assert.match(q, /r\.tower_alerts == "tower" and r\.host == "pi\\"1"\)/);
  assert.doesNotMatch(statusesQuery('tower', undefined, 3600), /r\.host ==/);
  for (const name of ['current', 'oldest', 'changed']) assert.match(q, new RegExp(`yield\\(name: "${name}"\\)`));
});

test('setup options: --no-alerts leaves alerting out; a webhook secret comes from a file or the environment, one kind only', () => {
  const base = { ...ALERTING_ARGS, influxBucket: 'Labs', measurement: 'labs' };
  assert.equal(alertingOptions({ ...base, alerts: false }), undefined);
  assert.deepEqual(alertingOptions(base), {
    prefix: 'tower',
    bucket: 'Labs',
    measurement: 'labs',
    hosts: undefined,
    silentAfterS: 30,
    forgetAfterS: 604_800,
    checkEveryS: 10,
    checkOffsetS: 6,
    thresholdForS: 60,
    cpuCritPercent: 90,
    cpuWarnPercent: 75,
    memoryCritPercent: 90,
    webhook: undefined,
  });
  assert.throws(
    () => alertingOptions({ ...base, silentAfter: '30' }),
    (err: unknown) => err instanceof ConfigError && /--silent-after must be a duration/.test(err.message),
  );
  assert.throws(() => alertingOptions({ ...base, checkOffset: '10s' }), /--check-offset \(10s\) must be shorter than --check-every/);
  assert.equal(alertingOptions({ ...base, checkOffset: '0s' })?.checkOffsetS, 0);

  const dir = mkdtempSync(join(tmpdir(), 'tower-alerting-'));
  const saved = { token: process.env.TOWER_ALERT_WEBHOOK_TOKEN, password: process.env.TOWER_ALERT_WEBHOOK_PASSWORD };
  try {
    delete process.env.TOWER_ALERT_WEBHOOK_TOKEN;
    delete process.env.TOWER_ALERT_WEBHOOK_PASSWORD;
    const hook = { ...base, alertWebhook: 'http://127.0.0.1:5555/hook' };
    assert.deepEqual(alertingOptions(hook)?.webhook, { url: 'http://127.0.0.1:5555/hook', auth: { method: 'none' } });
    writeFileSync(join(dir, 'token'), 'file-token\n');
    assert.deepEqual(alertingOptions({ ...hook, alertWebhookTokenFile: join(dir, 'token') })?.webhook?.auth, { method: 'bearer', token: 'file-token' });
    process.env.TOWER_ALERT_WEBHOOK_TOKEN = 'env-token';
    assert.deepEqual(alertingOptions(hook)?.webhook?.auth, { method: 'bearer', token: 'env-token' });
    assert.throws(() => alertingOptions({ ...hook, alertWebhookUser: 'u' }), /a bearer token or a basic-auth user and password, not both/);
    delete process.env.TOWER_ALERT_WEBHOOK_TOKEN;
    assert.throws(() => alertingOptions({ ...hook, alertWebhookUser: 'u' }), /--alert-webhook-user needs a password/);
    process.env.TOWER_ALERT_WEBHOOK_PASSWORD = 'pw';
    assert.deepEqual(alertingOptions({ ...hook, alertWebhookUser: 'u' })?.webhook?.auth, { method: 'basic', user: 'u', password: 'pw' });
    assert.throws(() => alertingOptions(hook), /a webhook password needs --alert-webhook-user/);
  } finally {
    for (const [name, value] of [
      ['TOWER_ALERT_WEBHOOK_TOKEN', saved.token],
      ['TOWER_ALERT_WEBHOOK_PASSWORD', saved.password],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
