import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DOWNSAMPLE, downsampleFlux, downsampleNames } from '../../src/consumer/setup/downsamplePlan.js';
import { v1Query, waitFor } from '../../support/harness.js';
import { type PrivateInflux, runSetup, type SetupRun, startPrivateInflux } from '../../support/influxd.js';

// `tower-sink setup` against an InfluxDB 2.8 of this test's own (onboarded
// with org GIST and bucket Labs only): the bucket Labs_1m, the task filling
// it, the mapping Labs/1m and tower's read on it, read back as Chronograf
// would, through the v1 /query as tower.

const root = fileURLToPath(new URL('../..', import.meta.url));
const TIMEOUT = { timeout: 180_000 };
const TASK = 'downsample Labs to Labs_1m';
const DAY_S = 86_400;
const MINUTE_MS = 60_000;

const password = randomBytes(16).toString('hex');
let influx: PrivateInflux;

/** `tower-sink setup` on this file's private InfluxDB. */
const setup = (args: string[] = [], env: Record<string, string> = {}): SetupRun => runSetup(influx, password, args, env);

const linesOf = (run: SetupRun) => run.stdout.trim().split('\n');

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(new URL(path, influx.url), {
    method,
    headers: { authorization: `Token ${influx.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

interface Bucket {
  id: string;
  name: string;
  retentionRules: { everySeconds: number; shardGroupDurationSeconds: number }[];
}
interface Task {
  id: string;
  name: string;
  status: string;
  every: string;
  offset: string;
  flux: string;
}
interface Dbrp {
  id: string;
  database: string;
  retention_policy: string;
  default: boolean;
  virtual?: boolean;
  bucketID: string;
}
interface V1Auth {
  id: string;
  token: string;
  description?: string;
  orgID: string;
  permissions: { action: string; resource: { type: string; id?: string; orgID?: string } }[];
}

const bucket = async (name: string) => (await api<{ buckets: Bucket[] }>('GET', `/api/v2/buckets?org=GIST&name=${name}`)).buckets[0];
const retention = async (name: string) => (await bucket(name))?.retentionRules[0];
const tasks = async () => (await api<{ tasks: Task[] }>('GET', `/api/v2/tasks?org=GIST&name=${encodeURIComponent(TASK)}`)).tasks.filter((t) => t.name === TASK);
const storedDbrps = async () => (await api<{ content: Dbrp[] }>('GET', '/api/v2/dbrps?org=GIST')).content.filter((m) => !m.virtual);
const towerAuth = async () =>
  (await api<{ authorizations: V1Auth[] }>('GET', '/private/legacy/authorizations')).authorizations.find((a) => a.token === 'tower');
const asTower = () => ({ TOWER_INFLUX_URL: influx.url, TOWER_V1_USER: 'tower', TOWER_V1_PASSWORD: password });

/** What setup made, minus what changes by itself (a task's latest run). */
async function state() {
  const task = (await tasks()).map(({ id, status, every, offset, flux }) => ({ id, status, every, offset, flux }));
  return { raw: await bucket('Labs'), downsampled: await bucket('Labs_1m'), task, dbrps: await storedDbrps(), tower: await towerAuth() };
}

async function writeLines(lines: string[]): Promise<void> {
  const response = await fetch(new URL('/api/v2/write?org=GIST&bucket=Labs&precision=ms', influx.url), {
    method: 'POST',
    headers: { authorization: `Token ${influx.token}`, 'content-type': 'text/plain' },
    body: lines.join('\n'),
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(response.status, 204, await response.text());
}

/** Asks InfluxDB for one run of the task with now() = scheduledFor, and waits until it is over. */
async function runTask(taskID: string, scheduledFor: number): Promise<{ status: string; log?: { message: string }[] }> {
  const run = await api<{ id: string }>('POST', `/api/v2/tasks/${taskID}/runs`, { scheduledFor: new Date(scheduledFor).toISOString() });
  return waitFor(`run ${run.id} of the task`, 30_000, async () => {
    // A run that is just finishing is in neither the running list nor the run log for a moment: HTTP 404, asked again.
    const now = await api<{ status: string; log?: { message: string }[] }>('GET', `/api/v2/tasks/${taskID}/runs/${run.id}`).catch((err: Error) => {
      if (/: HTTP 404 /.test(err.message)) return undefined;
      throw err;
    });
    return now && ['success', 'failed', 'canceled'].includes(now.status) ? now : undefined;
  });
}

before(async () => {
  assert.ok(existsSync(`${root}dist/consumer/main.js`), 'dist/consumer/main.js is missing: run npm run build first');
  influx = await startPrivateInflux();
});

after(async () => {
  await influx?.stop();
});

test('setup on a fresh InfluxDB creates Labs_1m, the task filling it, the mapping Labs/1m, and read on it and on _monitoring for tower', TIMEOUT, async () => {
  const run = setup();
  assert.equal(run.code, 0, run.stderr);
  const lines = linesOf(run);
  // 9 lines, then alerting's (alerting.test.ts).
  assert.equal(lines.length, 13, run.stdout);
  const expected = [
    /^bucket GIST\/Labs: already present \(ID \w+\)$/,
    /^DBRP mapping Labs\/autogen → bucket Labs: created$/,
    /^bucket GIST\/Labs_1m: created \(ID \w+, retention 730d\)$/,
    /^task "downsample Labs to Labs_1m" \(every 1m, offset 30s\): created \(ID \w+\)$/,
    /^DBRP mapping Labs\/1m → bucket Labs_1m: created$/,
    /^DBRP mapping _monitoring\/autogen → bucket _monitoring: created$/,
    /^v1 user tower \(read and write on Labs\): created$/,
    /^v1 user tower \(read on Labs_1m\): created$/,
    /^v1 user tower \(read on _monitoring\): created$/,
  ];
  expected.forEach((pattern, i) => {
    assert.match(lines[i] as string, pattern);
  });

  const now = await state();
  assert.equal(now.raw?.retentionRules[0]?.everySeconds, 0, 'the raw bucket keeps its retention (forever)');
  assert.equal(now.downsampled?.retentionRules[0]?.everySeconds, 730 * DAY_S);
  assert.deepEqual(
    now.task.map(({ status, every, offset, flux }) => ({ status, every, offset, flux })),
    [{ status: 'active', every: '1m', offset: '30s', flux: downsampleFlux(downsampleNames('Labs', 'labs')) }],
  );
  const mapping = (rp: string) => now.dbrps.filter((m) => m.retention_policy === rp).map((m) => ({ db: m.database, default: m.default, bucketID: m.bucketID }));
  assert.deepEqual(
    mapping('autogen').sort((a, b) => a.db.localeCompare(b.db)),
    [
      { db: 'Labs', default: true, bucketID: now.raw?.id },
      { db: '_monitoring', default: true, bucketID: (await bucket('_monitoring'))?.id },
    ].sort((a, b) => a.db.localeCompare(b.db)),
  );
  assert.deepEqual(
    mapping('1m'),
    [{ db: 'Labs', default: false, bucketID: now.downsampled?.id }],
    'Labs/1m, not the default: plain InfluxQL still reads the raw bucket',
  );
  const reads = now.tower?.permissions.filter((p) => p.action === 'read').map((p) => p.resource.id);
  assert.deepEqual(reads?.sort(), [now.raw?.id, now.downsampled?.id, (await bucket('_monitoring'))?.id].sort());
});

test('a task run asked for through the API writes exact 1-minute means and the CPU_Usage max, read by tower from "Labs"."1m"', TIMEOUT, async () => {
  const host = `e2e-downsample-${randomBytes(4).toString('hex')}`;
  // A whole minute an hour ago: out of reach of the runs InfluxDB schedules itself (the last 10 minutes).
  const T = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 60 * MINUTE_MS;
  const a = T - 3 * MINUTE_MS;
  const b = T - 2 * MINUTE_MS;
  const p = (fields: string, time: number) => `labs,host=${host},region=GIST ${fields} ${time}`;
  await writeLines([
    // Before the 10 minutes a run rewrites, and at T itself (the minute after): both left out.
    p('CPU_Usage=90', T - 11 * MINUTE_MS),
    p('CPU_Usage=99', T),
    // Minute a: three samples, an integer field, a string and a boolean field (no mean: left out).
    p('CPU_Usage=10,memory=100,temp=40.5,count=1i', a),
    p('CPU_Usage=20,memory=200,temp=41.5,count=2i,flag=true', a + 20_000),
    p('CPU_Usage=30,memory=300,note="not a number"', a + 59_999),
    // Minute b: two samples; minute T-1m: none.
    p('CPU_Usage=40,memory=1000', b + 1_000),
    p('CPU_Usage=60', b + 30_000),
    // A second Pi, numeric fields only.
    `labs,host=${host}-b,region=GIST CPU_Usage=70,memory=7 ${a + 5_000}`,
    // A boolean field just outside the minutes of the run, in the same shard: InfluxDB's mean fails on it
    // (a run still counted a success, having written only some series) unless it is left out by name.
    p('ready=true', T - 10 * MINUTE_MS - 30_000),
    p('ready=false', T + 30_000),
    // Another measurement of the bucket: not downsampled.
    `tower_selftest,host=${host} CPU_Usage=5 ${a}`,
  ]);
  const select = `SELECT "CPU_Usage", "CPU_Usage_max", "memory", "temp", "count" FROM "Labs"."1m"."labs" WHERE host = '${host}'`;
  assert.deepEqual(await v1Query(asTower(), select), [], 'nothing is downsampled before the run');

  const [task] = await tasks();
  assert.ok(task, `no task named "${TASK}": setup did not create it`);
  const run = await runTask(task.id, T);
  assert.equal(run.status, 'success', JSON.stringify(run.log));

  assert.deepEqual(await v1Query(asTower(), select), [
    { time: a, CPU_Usage: 20, CPU_Usage_max: 30, memory: 200, temp: 41, count: 1.5 },
    { time: b, CPU_Usage: 50, CPU_Usage_max: 60, memory: 1000, temp: null, count: null },
  ]);
  assert.deepEqual(await v1Query(asTower(), `SELECT "CPU_Usage", "CPU_Usage_max", "memory" FROM "Labs"."1m"."labs" WHERE host = '${host}-b'`), [
    { time: a, CPU_Usage: 70, CPU_Usage_max: 70, memory: 7 },
  ]);
  assert.deepEqual(await v1Query(asTower(), `SELECT mean("CPU_Usage") FROM "Labs"."1m"."labs" WHERE host = '${host}'`), [{ time: 0, mean: 35 }]);
  assert.deepEqual(
    await v1Query(asTower(), `SELECT max("CPU_Usage_max") FROM "Labs"."1m"."labs" WHERE host = '${host}' GROUP BY "host", "region"`),
    [{ host, region: 'GIST', time: b, max: 60 }],
    'the tags host and region are kept',
  );
  const fields = (await v1Query(asTower(), 'SHOW FIELD KEYS FROM "Labs"."1m"."labs"')).map((r) => r.fieldKey);
  assert.deepEqual(fields.sort(), ['CPU_Usage', 'CPU_Usage_max', 'count', 'memory', 'temp']);
  assert.deepEqual(await v1Query(asTower(), 'SELECT * FROM "Labs"."1m"."tower_selftest"'), []);

  // Run again for the same time: the same points, rewritten, not added.
  assert.equal((await runTask(task.id, T)).status, 'success');
  assert.equal((await v1Query(asTower(), `SELECT "CPU_Usage" FROM "Labs"."1m"."labs" WHERE host = '${host}'`)).length, 2);
});

test('a second run changes nothing and says "already present" for every step', TIMEOUT, async () => {
  const before = await state();
  const run = setup();
  assert.equal(run.code, 0, run.stderr);
  const lines = linesOf(run);
  assert.equal(lines.length, 13, run.stdout);
  for (const line of lines.filter((l) => !l.startsWith('notifications: '))) assert.match(line, /: already present( \(ID \w+\))?$/);
  assert.deepEqual(await state(), before);
});

test("a task whose script was edited gets setup's back, and stays one task", TIMEOUT, async () => {
  const [task] = await tasks();
  assert.ok(task);
  const want = downsampleFlux(downsampleNames('Labs', 'labs'));
  await api('PATCH', `/api/v2/tasks/${task.id}`, { flux: want.replace('offset: 30s', 'offset: 5s').replace('fn: mean', 'fn: median') });
  assert.equal((await tasks())[0]?.offset, '5s');
  const run = setup();
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`^task "${TASK}" \\(every 1m, offset 30s\\): updated \\(ID ${task.id}, its script differed\\)$`, 'm'));
  assert.deepEqual(
    (await tasks()).map(({ id, offset, flux }) => ({ id, offset, flux })),
    [{ id: task.id, offset: '30s', flux: want }],
  );
  assert.match(setup().stdout, new RegExp(`^task "${TASK}" \\(every 1m, offset 30s\\): already present \\(ID ${task.id}\\)$`, 'm'));
});

test('without the task or the mapping Labs/1m nothing is read from "Labs"."1m"; setup puts both back', TIMEOUT, async () => {
  const query = 'SELECT mean("CPU_Usage") FROM "Labs"."1m"."labs"';
  const [task] = await tasks();
  const mapping = (await storedDbrps()).find((m) => m.retention_policy === DOWNSAMPLE.rp);
  assert.ok(task && mapping);
  await api('DELETE', `/api/v2/tasks/${task.id}`);
  await api('DELETE', `/api/v2/dbrps/${mapping.id}?org=GIST`);
  await assert.rejects(v1Query(asTower(), query), /retention policy not found: 1m/);

  const run = setup();
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^task "downsample Labs to Labs_1m" \(every 1m, offset 30s\): created \(ID \w+\)$/m);
  assert.match(run.stdout, /^DBRP mapping Labs\/1m → bucket Labs_1m: created$/m);
  assert.equal((await tasks()).length, 1);
  assert.equal((await v1Query(asTower(), query)).length, 1, 'the points written before are read again');
});

test('tower without read on Labs_1m (from an older setup) is given it, and keeps its password', TIMEOUT, async () => {
  const old = await towerAuth();
  const raw = await bucket('Labs');
  assert.ok(old && raw);
  await api('DELETE', `/private/legacy/authorizations/${old.id}`);
  const rw = (['read', 'write'] as const).map((action) => ({ action, resource: { type: 'buckets', id: raw.id, orgID: old.orgID } }));
  const older = await api<V1Auth>('POST', '/private/legacy/authorizations', {
    orgID: old.orgID,
    token: 'tower',
    description: 'an older setup',
    permissions: rw,
  });
  await api('POST', `/private/legacy/authorizations/${older.id}/password`, { password });
  await assert.rejects(v1Query(asTower(), 'SELECT mean("CPU_Usage") FROM "Labs"."1m"."labs"'), /retention policy not found: 1m/);

  const run = setup();
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^v1 user tower \(read and write on Labs\): already present$/m);
  assert.match(run.stdout, new RegExp(`^v1 user tower \\(read on Labs_1m\\): created \\(.*ID ${older.id} replaced by \\w+, same password\\)$`, 'm'));
  const now = await towerAuth();
  assert.equal(now?.description, 'an older setup');
  assert.deepEqual(
    now?.permissions.map((p) => `${p.action} ${p.resource.id}`).sort(),
    [`read ${raw.id}`, `write ${raw.id}`, `read ${(await bucket('Labs_1m'))?.id}`, `read ${(await bucket('_monitoring'))?.id}`].sort(),
  );
  assert.equal((await v1Query(asTower(), 'SELECT mean("CPU_Usage") FROM "Labs"."1m"."labs"')).length, 1);
  assert.match(setup().stdout, /^v1 user tower \(read on Labs_1m\): already present$/m);
});

test("--raw-retention sets the raw bucket's retention only when given, and says what changed", TIMEOUT, async () => {
  const retentionLine = /^bucket GIST\/Labs retention/m;
  assert.doesNotMatch(setup().stdout, retentionLine);
  assert.equal((await retention('Labs'))?.everySeconds, 0);

  const set = setup(['--raw-retention', '30d']);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /^bucket GIST\/Labs retention 30d: updated \(was forever; points older than 30d are deleted\)$/m);
  assert.equal((await retention('Labs'))?.everySeconds, 30 * DAY_S);
  assert.match(setup([], { TOWER_RAW_RETENTION: '30d' }).stdout, /^bucket GIST\/Labs retention 30d: already present$/m);
  assert.doesNotMatch(setup().stdout, retentionLine, 'not given: not changed, not mentioned');
  assert.equal((await retention('Labs'))?.everySeconds, 30 * DAY_S);

  // Shorter than its 7-day shard groups: InfluxDB wants those shorter too.
  assert.match(setup(['--raw-retention', '1d']).stdout, /^bucket GIST\/Labs retention 1d: updated \(was 30d; points older than 1d are deleted\)$/m);
  assert.deepEqual(await retention('Labs'), { type: 'expire', everySeconds: DAY_S, shardGroupDurationSeconds: 3600 });
  assert.match(setup(['--raw-retention', '0']).stdout, /^bucket GIST\/Labs retention forever: updated \(was 1d\)$/m);
  assert.equal((await retention('Labs'))?.everySeconds, 0);

  const downsampled = setup(['--downsampled-retention', '400d']);
  assert.match(downsampled.stdout, /^bucket GIST\/Labs_1m retention 400d: updated \(was 730d; points older than 400d are deleted\)$/m);
  assert.doesNotMatch(downsampled.stdout, retentionLine);
  assert.equal((await retention('Labs_1m'))?.everySeconds, 400 * DAY_S);

  const before = await state();
  const bad = setup(['--raw-retention', '30']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--raw-retention must be 0 \(forever\) or at least 1h in whole h, d or w, such as 30d or 1w3d, got "30"/);
  assert.equal(bad.stdout, '');
  assert.deepEqual(await state(), before);
});
