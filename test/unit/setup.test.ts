import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/cli.js';
import { setupOptions } from '../../src/consumer/cli.js';
import { decideDbrp, decideV1Auth, type SetupTarget, v1Permissions } from '../../src/consumer/setup/setupPlan.js';
import type { DbrpMapping, V1Authorization } from '../../src/influx/admin.js';
import { ALERTING_ARGS } from './alertingArgs.js';

const want: SetupTarget = { orgID: 'org1', bucketID: 'labs1', bucket: 'Labs', db: 'Labs', rp: 'autogen', user: 'tower' };

const mapping = (over: Partial<DbrpMapping>): DbrpMapping => ({
  id: 'm1',
  database: 'Labs',
  retention_policy: 'autogen',
  default: true,
  orgID: 'org1',
  bucketID: 'labs1',
  ...over,
});

const auth = (over: Partial<V1Authorization>): V1Authorization => ({
  id: 'a1',
  token: 'tower',
  status: 'active',
  orgID: 'org1',
  permissions: v1Permissions(want),
  ...over,
});

test('DBRP: created when only the virtual mapping InfluxDB derives from the bucket exists', () => {
  assert.deepEqual(decideDbrp([mapping({ virtual: true })], want), { kind: 'create' });
  assert.deepEqual(decideDbrp([], want), { kind: 'create' });
});

test('DBRP: mappings of other databases, policies or organizations do not count', () => {
  const others = [mapping({ database: 'Other' }), mapping({ retention_policy: 'weekly' }), mapping({ orgID: 'org2' })];
  assert.deepEqual(decideDbrp(others, want), { kind: 'create' });
});

test('DBRP: already present when a stored mapping points db/rp at the bucket', () => {
  const stored = mapping({ id: 'm7' });
  assert.deepEqual(decideDbrp([mapping({ virtual: true }), stored], want), { kind: 'present', mapping: stored });
});

test('DBRP: a stored mapping of db/rp to another bucket is a conflict, not repointed', () => {
  const elsewhere = mapping({ id: 'm9', bucketID: 'other' });
  assert.deepEqual(decideDbrp([elsewhere], want), { kind: 'conflict', mapping: elsewhere });
});

test('v1 user: created when no authorization carries the user name', () => {
  assert.deepEqual(decideV1Auth([auth({ token: 'chronograf' })], want), { kind: 'create' });
});

test('v1 user: an active one with read and write on the bucket only needs its password checked', () => {
  const existing = auth({});
  assert.deepEqual(decideV1Auth([auth({ id: 'x', token: 'other' }), existing], want), { kind: 'check-password', auth: existing });
});

test('v1 user: read and write on all buckets of the organization also serve', () => {
  const orgWide = auth({ permissions: (['read', 'write'] as const).map((action) => ({ action, resource: { type: 'buckets', orgID: 'org1' } })) });
  assert.equal(decideV1Auth([orgWide], want).kind, 'check-password');
});

test('v1 user: one that cannot serve is reported with the reason, never changed', () => {
  const cases: [Partial<V1Authorization>, RegExp][] = [
    [{ orgID: 'org2' }, /another organization \(ID org2\)/],
    [{ status: 'inactive' }, /is inactive/],
    [{ permissions: v1Permissions(want).filter((p) => p.action === 'read') }, /lacks write permission on bucket Labs/],
    [{ permissions: v1Permissions({ ...want, bucketID: 'other' }) }, /lacks read and write permission/],
    [{ permissions: v1Permissions(want).map((p) => ({ ...p, resource: { type: 'dashboards', id: 'labs1', orgID: 'org1' } })) }, /lacks read and write/],
  ];
  for (const [over, reason] of cases) {
    const decision = decideV1Auth([auth(over)], want);
    assert.equal(decision.kind, 'unusable', JSON.stringify(over));
    assert.match(decision.kind === 'unusable' ? decision.reason : '', reason);
  }
});

test('a new v1 user gets read and write on the bucket alone', () => {
  assert.deepEqual(v1Permissions(want), [
    { action: 'read', resource: { type: 'buckets', id: 'labs1', orgID: 'org1' } },
    { action: 'write', resource: { type: 'buckets', id: 'labs1', orgID: 'org1' } },
  ]);
});

test('setup options: a v1 password InfluxDB would refuse (under 8 or over 72 bytes) is a usage error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tower-setup-'));
  try {
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const argv = (password: string) => ({
      influxUrl: 'http://127.0.0.1:8086',
      influxOrg: 'GIST',
      influxBucket: 'Labs',
      influxTokenFile: file('token', 'secret-token\n'),
      v1Db: 'Labs',
      v1Rp: 'autogen',
      v1User: 'tower',
      v1PasswordFile: file('password', password),
      measurement: 'labs',
      rawRetention: undefined,
      downsampledRetention: undefined,
      ...ALERTING_ARGS,
      alerts: false,
    });
    assert.throws(
      () => setupOptions(argv('short')),
      (err: unknown) => err instanceof ConfigError && /8 to 72 bytes long, got 5/.test(err.message),
    );
    assert.throws(() => setupOptions(argv('é'.repeat(37))), /got 74/);
    assert.deepEqual(setupOptions(argv('eight888\n')), {
      url: 'http://127.0.0.1:8086',
      org: 'GIST',
      bucket: 'Labs',
      token: 'secret-token',
      db: 'Labs',
      rp: 'autogen',
      user: 'tower',
      password: 'eight888',
      measurement: 'labs',
      rawRetention: undefined,
      downsampledRetention: undefined,
      alerting: undefined,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('setup options: --raw-retention and --downsampled-retention in seconds, undefined when unset or empty, refused when unreadable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tower-setup-'));
  try {
    writeFileSync(join(dir, 'token'), 'secret-token\n');
    writeFileSync(join(dir, 'password'), 'eight888');
    const argv = (over: { rawRetention?: string; downsampledRetention?: string }) => ({
      influxUrl: 'http://127.0.0.1:8086',
      influxOrg: 'GIST',
      influxBucket: 'Labs',
      influxTokenFile: join(dir, 'token'),
      v1Db: 'Labs',
      v1Rp: 'autogen',
      v1User: 'tower',
      v1PasswordFile: join(dir, 'password'),
      measurement: 'labs',
      rawRetention: undefined,
      downsampledRetention: undefined,
      ...ALERTING_ARGS,
      alerts: false,
      ...over,
    });
    const chosen = setupOptions(argv({ rawRetention: '30d', downsampledRetention: '0' }));
    assert.deepEqual([chosen.rawRetention, chosen.downsampledRetention], [30 * 86400, 0]);
    const empty = setupOptions(argv({ rawRetention: '', downsampledRetention: ' ' }));
    assert.deepEqual([empty.rawRetention, empty.downsampledRetention], [undefined, undefined], 'an empty TOWER_RAW_RETENTION= is unset');
    assert.throws(
      () => setupOptions(argv({ rawRetention: '30' })),
      (err: unknown) => err instanceof ConfigError && /^--raw-retention must be 0 \(forever\) or at least 1h .*got "30"$/.test(err.message),
    );
    assert.throws(() => setupOptions(argv({ downsampledRetention: '10m' })), /--downsampled-retention must be/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
