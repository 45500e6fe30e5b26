import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Program, startProgram, v1Query, waitFor } from '../../support/harness.js';
import { type PrivateInflux, runSetup, type SetupRun, startPrivateInflux } from '../../support/influxd.js';
import { kafkaEnv } from '../../support/services.js';
import { createTopic, unique } from './sinkHarness.js';

// A fresh InfluxDB 2.8 of this test's own, onboarded like the influxdb Docker
// image does (DOCKER_INFLUXDB_INIT_*): org GIST, bucket Labs, a random token,
// and nothing else: no DBRP mapping, no v1 user. `tower-sink setup` adds those.

const root = fileURLToPath(new URL('../..', import.meta.url));
const ORG = 'GIST';
const BUCKET = 'Labs';
const USER = 'tower';
const TIMEOUT = { timeout: 180_000 };

const password = randomBytes(16).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'tower-setup-e2e-'));
let influx: PrivateInflux | undefined;
let url = '';
let token = '';
const programs: Program[] = [];

/** `tower-sink setup` on this file's private InfluxDB. */
const setup = (args: string[] = [], env: Record<string, string> = {}): SetupRun => runSetup({ url, token }, password, args, env);

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(new URL(path, url), {
    method,
    headers: { authorization: `Token ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

interface Dbrp {
  id: string;
  database: string;
  retention_policy: string;
  default: boolean;
  virtual?: boolean;
  bucketID: string;
}

const orgID = async () => (await api<{ orgs: { id: string }[] }>('GET', `/api/v2/orgs?org=${ORG}`)).orgs[0]?.id as string;
const bucketID = async (name: string) => (await api<{ buckets: { id: string }[] }>('GET', `/api/v2/buckets?org=${ORG}&name=${name}`)).buckets[0]?.id as string;
const storedDbrps = async () => (await api<{ content: Dbrp[] }>('GET', `/api/v2/dbrps?org=${ORG}`)).content.filter((m) => !m.virtual);
const v1Auths = async () => (await api<{ authorizations: unknown[] }>('GET', '/private/legacy/authorizations')).authorizations;
const v1As = (pw: string) => ({ TOWER_INFLUX_URL: url, TOWER_V1_USER: USER, TOWER_V1_PASSWORD: pw });

before(async () => {
  assert.ok(existsSync(`${root}dist/consumer/main.js`), 'dist/consumer/main.js is missing: run npm run build first');
  influx = await startPrivateInflux({ org: ORG, bucket: BUCKET });
  ({ url, token } = influx);
});

after(async () => {
  await Promise.all(programs.map((p) => p.stop()));
  await influx?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('setup on a fresh InfluxDB creates the DBRP mapping Labs/autogen and the v1 user tower', TIMEOUT, async () => {
  assert.deepEqual(await storedDbrps(), [], 'a fresh server has no stored mapping');
  assert.deepEqual(await v1Auths(), [], 'a fresh server has no v1 user');
  const run = setup();
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  assert.deepEqual(lines.slice(0, 2), [`bucket GIST/Labs: already present (ID ${await bucketID(BUCKET)})`, 'DBRP mapping Labs/autogen → bucket Labs: created']);
  // The downsampling steps between them are tested in downsample.test.ts.
  assert.deepEqual(lines.slice(-7), [
    'v1 user tower (read and write on Labs): created',
    'v1 user tower (read on Labs_1m): created',
    'v1 user tower (read on _monitoring): created',
    'check "tower deadman" (CRIT after 30s without a sample, checked every 10s): created',
    'check "tower CPU_Usage" (WARN above 75 %, CRIT above 90 % for 1m): created',
    'check "tower memory" (CRIT above 90 % in use, i.e. MemAvailable under 10 %, for 1m): created',
    "notifications: none (no --alert-webhook), the checks' statuses land in _monitoring",
  ]);
  const [mapping, ...more] = (await storedDbrps()).filter((m) => m.retention_policy === 'autogen' && m.database === 'Labs');
  assert.equal(more.length, 0);
  assert.deepEqual(
    { database: mapping?.database, rp: mapping?.retention_policy, default: mapping?.default, bucketID: mapping?.bucketID },
    { database: 'Labs', rp: 'autogen', default: true, bucketID: await bucketID(BUCKET) },
  );
});

test("the v1 user reads the agent's rows through the mapping, as Chronograf does", TIMEOUT, async () => {
  const kafka = kafkaEnv();
  const topic = await createTopic('t-setup');
  const host = unique('e2e-setup');
  // The sink writes through /write as the new v1 user: proves its write permission too.
  const sink = startProgram('consumer', ['run', '--v1', '--topic', topic, '--dlq-topic', 'resource.dlq', '--group', unique('g-setup')], {
    TOWER_BROKERS: kafka.TOWER_BROKERS,
    TOWER_INFLUX_URL: url,
    TOWER_V1_PASSWORD: password,
  });
  const agent = startProgram('agent', ['run', '--host', host, '--topic', topic, '--spool-dir', join(dir, 'spool')], { TOWER_BROKERS: kafka.TOWER_BROKERS });
  programs.push(sink, agent);
  const rows = await waitFor('3 rows of the agent in the fresh InfluxDB', 60_000, async () => {
    const found = await v1Query(v1As(password), `SELECT "CPU_Usage", "memory" FROM "labs" WHERE host = '${host}'`);
    return found.length >= 3 ? found : undefined;
  });
  for (const row of rows) {
    assert.ok((row.CPU_Usage as number) >= 0 && (row.CPU_Usage as number) <= 100, `CPU_Usage ${row.CPU_Usage}`);
    assert.ok((row.memory as number) > 0, `memory ${row.memory}`);
  }
  for (const program of [agent, sink]) assert.equal(await program.stop(), 0, program.output());
});

test('a second run changes nothing and says so', TIMEOUT, async () => {
  const before = { dbrps: await storedDbrps(), auths: await v1Auths() };
  const run = setup();
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 13, run.stdout);
  for (const line of lines.filter((l) => !l.startsWith('notifications: '))) assert.match(line, /: already present( \(ID \w+\))?$/);
  assert.deepEqual({ dbrps: await storedDbrps(), auths: await v1Auths() }, before);
});

test('a v1 password that no longer works is set, and the old one stops working', TIMEOUT, async () => {
  const newPassword = randomBytes(16).toString('hex');
  const run = setup([], { TOWER_V1_PASSWORD: newPassword });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^v1 user tower \(read and write on Labs\): updated \(password set\)$/m);
  assert.deepEqual(await v1Query(v1As(newPassword), 'SHOW MEASUREMENTS'), [{ name: 'labs' }]);
  await assert.rejects(v1Query(v1As(password), 'SHOW MEASUREMENTS'), /HTTP 401/);
  assert.match(setup([], { TOWER_V1_PASSWORD: newPassword }).stdout, /^v1 user tower \(read and write on Labs\): already present$/m);
});

test('a mapping of the v1 database to another bucket is reported, not repointed', TIMEOUT, async () => {
  const org = await orgID();
  const other = (await api<{ id: string }>('POST', '/api/v2/buckets', { orgID: org, name: 'Elsewhere', retentionRules: [] })).id;
  await api('POST', '/api/v2/dbrps', { orgID: org, bucketID: other, database: 'Other', retention_policy: 'autogen', default: true });
  const before = await storedDbrps();
  const run = setup(['--v1-db', 'Other']);
  assert.equal(run.code, 1, run.stdout);
  assert.match(
    run.stderr,
    new RegExp(
      `Other/autogen is mapped to bucket ID ${other} already; setup does not repoint it\\. Delete that mapping \\(influx v1 dbrp delete --id \\w+\\) or choose another --v1-db`,
    ),
  );
  assert.doesNotMatch(run.stdout, /created|updated/);
  assert.deepEqual(await storedDbrps(), before);
});

test('a missing bucket or organization names the setting to fix', TIMEOUT, () => {
  const bucket = setup(['--influx-bucket', 'Nope']);
  assert.equal(bucket.code, 1);
  assert.match(bucket.stderr, /bucket "Nope" not found in organization GIST: fix --influx-bucket \(TOWER_INFLUX_BUCKET\)/);
  const org = setup([], { TOWER_INFLUX_ORG: 'Nope' });
  assert.equal(org.code, 1);
  assert.match(org.stderr, /organization "Nope" not found at .*: fix --influx-org/);
});

test('a wrong token exits 1 with a clear message and changes nothing', TIMEOUT, async () => {
  const before = { dbrps: await storedDbrps(), auths: await v1Auths() };
  const wrong = randomBytes(32).toString('hex');
  const run = setup([], { TOWER_INFLUX_TOKEN: wrong });
  assert.equal(run.code, 1, run.stdout);
  assert.equal(run.stdout, '');
  assert.match(
    run.stderr,
    /^tower-sink setup: InfluxDB at http:\/\/127\.0\.0\.1:\d+ refused the token \(HTTP 401 on GET \/api\/v2\/orgs\): set TOWER_INFLUX_TOKEN or --influx-token-file/,
  );
  assert.deepEqual({ dbrps: await storedDbrps(), auths: await v1Auths() }, before);
});
