import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DOWNSAMPLE,
  decideRetention,
  decideTask,
  defaultShardGroupSeconds,
  downsampleFlux,
  downsampleNames,
  fluxString,
  formatRetention,
  parseRetention,
  retentionOf,
} from '../../src/consumer/setup/downsamplePlan.js';
import { decideV1Read } from '../../src/consumer/setup/setupPlan.js';
import type { Bucket, V1Authorization } from '../../src/influx/admin.js';
import type { Task } from '../../src/influx/tasks.js';

const HOUR = 3600;
const DAY = 24 * HOUR;
const names = downsampleNames('Labs', 'labs');

test('names: <bucket>_1m and a task named after both buckets', () => {
  assert.deepEqual(names, { rawBucket: 'Labs', bucket: 'Labs_1m', measurement: 'labs', task: 'downsample Labs to Labs_1m' });
  assert.equal(DOWNSAMPLE.rp, '1m');
});

test("the task's Flux: means of every numeric field and the CPU_Usage max over the whole minutes before now()", () => {
  assert.equal(
    downsampleFlux(names),
    `import "array"
import "date"
import "regexp"
import "strings"
import "types"

option task = {name: "downsample Labs to Labs_1m", every: 1m, offset: 30s}

// Written by tower-sink setup, which puts this script back when it differs.
// Each run rewrites the 10m of whole minutes before its scheduled time.
stop = date.truncate(t: now(), unit: 1m)
start = date.sub(d: 10m, from: stop)
// A function, not a stream: each use below reads on its own, its filter and aggregate done by the storage engine.
raw = () => from(bucket: "Labs")
    |> range(start: start, stop: stop)
    |> filter(fn: (r) => r._measurement == "labs")

// The numeric fields, told by the first point of each series in these minutes. Only they are averaged: the
// storage engine fails a mean over a string or boolean field even where it has no point in range.
numeric = raw()
    |> first()
    |> filter(fn: (r) => types.isNumeric(v: r._value))
    |> keep(columns: ["_field"])
    |> group()
    |> distinct(column: "_field")
    |> findColumn(fn: (key) => true, column: "_value")
fields = regexp.compile(v: "^(" + strings.joinStr(arr: array.map(arr: numeric, fn: (x) => regexp.quoteMeta(v: x)), v: "|") + ")$")

raw()
    |> filter(fn: (r) => r._field =~ fields)
    |> aggregateWindow(every: 1m, fn: mean, timeSrc: "_start", createEmpty: false)
    |> to(bucket: "Labs_1m")

raw()
    |> filter(fn: (r) => r._field == "CPU_Usage")
    |> aggregateWindow(every: 1m, fn: max, timeSrc: "_start", createEmpty: false)
    |> set(key: "_field", value: "CPU_Usage_max")
    |> to(bucket: "Labs_1m")
`,
  );
});

test('Flux strings: quotes, backslashes and ${ of odd names are escaped', () => {
  assert.equal(fluxString('Labs'), '"Labs"');
  assert.equal(fluxString('a"b\\c${d}'), '"a\\"b\\\\c\\${d}"');
  const flux = downsampleFlux(downsampleNames('Lab "x"', 'm${y}'));
  assert.match(flux, /from\(bucket: "Lab \\"x\\""\)/);
  assert.match(flux, /to\(bucket: "Lab \\"x\\"_1m"\)/);
  assert.match(flux, /r\._measurement == "m\\\$\{y\}"/);
  assert.match(flux, /option task = \{name: "downsample Lab \\"x\\" to Lab \\"x\\"_1m", every: 1m, offset: 30s\}/);
});

const task = (over: Partial<Task>): Task => ({
  id: 't1',
  orgID: 'org1',
  name: names.task,
  status: 'active',
  flux: downsampleFlux(names),
  ...over,
});

test('task: created when missing, present when its script is the same, updated when it differs', () => {
  const flux = downsampleFlux(names);
  assert.deepEqual(decideTask([], flux), { kind: 'create' });
  const same = task({});
  assert.deepEqual(decideTask([same], flux), { kind: 'present', task: same });
  const edited = task({ flux: flux.replace('offset: 30s', 'offset: 5s') });
  assert.deepEqual(decideTask([edited], flux), { kind: 'update', task: edited });
});

test('task: several of that name are a conflict, none of them changed', () => {
  const two = [task({ id: 'a' }), task({ id: 'b' })];
  assert.deepEqual(decideTask(two, downsampleFlux(names)), { kind: 'conflict', tasks: two });
});

const bucket = (everySeconds?: number, shardGroupDurationSeconds?: number): Bucket => ({
  id: 'b1',
  orgID: 'org1',
  name: 'Labs',
  ...(everySeconds === undefined ? {} : { retentionRules: [{ type: 'expire', everySeconds, shardGroupDurationSeconds }] }),
});

test('retention: read from the expire rule; no rule or 0 is forever', () => {
  assert.equal(retentionOf(bucket()), 0);
  assert.equal(retentionOf(bucket(0, 7 * DAY)), 0);
  assert.equal(retentionOf(bucket(30 * DAY, DAY)), 30 * DAY);
});

test('retention: present when equal, else updated from what it was', () => {
  assert.deepEqual(decideRetention(bucket(30 * DAY, DAY), 30 * DAY), { kind: 'present' });
  assert.deepEqual(decideRetention(bucket(0, 7 * DAY), 30 * DAY), { kind: 'update', fromSeconds: 0 });
  assert.deepEqual(decideRetention(bucket(30 * DAY, DAY), 0), { kind: 'update', fromSeconds: 30 * DAY });
  assert.deepEqual(decideRetention(bucket(), 0), { kind: 'present' });
});

test('retention: shard groups longer than the new retention shrink to the default InfluxDB gives it', () => {
  assert.deepEqual(decideRetention(bucket(0, 7 * DAY), DAY), { kind: 'update', fromSeconds: 0, shardGroupSeconds: HOUR });
  assert.deepEqual(decideRetention(bucket(0, 7 * DAY), 3 * DAY), { kind: 'update', fromSeconds: 0, shardGroupSeconds: DAY });
  assert.deepEqual(decideRetention(bucket(0, 7 * DAY), 7 * DAY), { kind: 'update', fromSeconds: 0 });
  assert.deepEqual([HOUR, 2 * DAY - 1, 2 * DAY, 179 * DAY, 180 * DAY, 0].map(defaultShardGroupSeconds), [HOUR, HOUR, DAY, DAY, 7 * DAY, 7 * DAY]);
});

test('retention text: 0 or whole h, d, w of at least 1h; anything else is refused', () => {
  const cases: [string, number | undefined][] = [
    ['0', 0],
    ['30d', 30 * DAY],
    ['12h', 12 * HOUR],
    ['2w', 14 * DAY],
    ['1w3d', 10 * DAY],
    [' 1h ', HOUR],
    ['730d', 730 * DAY],
    ['30', undefined],
    ['30m', undefined],
    ['0h', undefined],
    ['1.5d', undefined],
    ['-1d', undefined],
    ['forever', undefined],
    ['', undefined],
    ['3600s', undefined],
  ];
  for (const [text, seconds] of cases) assert.equal(parseRetention(text), seconds, JSON.stringify(text));
});

test('retention shown in the largest whole unit', () => {
  assert.deepEqual([0, 30 * DAY, 36 * HOUR, 730 * DAY, 90].map(formatRetention), ['forever', '30d', '36h', '730d', '90s']);
  for (const text of ['30d', '12h', '730d']) assert.equal(formatRetention(parseRetention(text) as number), text);
});

const want = { orgID: 'org1', bucketID: 'b1m', user: 'tower' };
const auth = (permissions: V1Authorization['permissions']): V1Authorization => ({ id: 'a1', token: 'tower', status: 'active', orgID: 'org1', permissions });
const rw = (bucketID: string) =>
  (['read', 'write'] as const).map((action) => ({ action, resource: { type: 'buckets', id: bucketID, orgID: 'org1', name: 'Labs', org: 'GIST' } }));

test('v1 read on the downsampled bucket: missing user, present, or added by replacing the authorization', () => {
  assert.deepEqual(decideV1Read([{ ...auth(rw('raw')), token: 'other' }], want), { kind: 'missing' });
  assert.deepEqual(decideV1Read([auth([...rw('raw'), { action: 'read', resource: { type: 'buckets', id: 'b1m', orgID: 'org1' } }])], want), {
    kind: 'present',
  });
  assert.deepEqual(decideV1Read([auth([{ action: 'read', resource: { type: 'buckets', orgID: 'org1' } }])], want), { kind: 'present' });
  const old = auth(rw('raw'));
  assert.deepEqual(decideV1Read([old], want), {
    kind: 'add',
    auth: old,
    permissions: [
      { action: 'read', resource: { type: 'buckets', id: 'raw', orgID: 'org1' } },
      { action: 'write', resource: { type: 'buckets', id: 'raw', orgID: 'org1' } },
      { action: 'read', resource: { type: 'buckets', id: 'b1m', orgID: 'org1' } },
    ],
  });
  const writeOnly = auth([{ action: 'write', resource: { type: 'buckets', id: 'b1m', orgID: 'org1' } }]);
  assert.equal(decideV1Read([writeOnly], want).kind, 'add');
});
