import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCpuMs, parseListeningInodes, parseMachineTicks, parseSchedstatNs, readThreadsCpuMs } from '../../support/fleet/procstat.js';
import { mergeLogs, reconcile } from '../../support/fleet/reconcile.js';
import { percentile } from '../../support/fleet/summary.js';

const log = (entries: Record<string, number[]>) => new Map(Object.entries(entries));

test('everything sent was stored: nothing lost, nothing extra', () => {
  const sent = log({ a: [1000, 2000, 3000], b: [1000] });
  const r = reconcile(sent, log({ b: [1000], a: [3000, 1000, 2000] }));
  assert.deepEqual([r.sent, r.stored, r.lost, r.extra, r.duplicates], [4, 4, 0, 0, 0]);
});

test('lost is counted by host and time, not by totals', () => {
  // Same totals on both sides, but a's 2000 went missing and b has one nobody sent.
  const r = reconcile(log({ a: [1000, 2000], b: [1000] }), log({ a: [1000], b: [1000, 5000] }));
  assert.deepEqual([r.sent, r.stored, r.lost, r.extra], [3, 3, 1, 1]);
  assert.deepEqual(r.lostExamples, ['a@2000']);
  assert.deepEqual(r.extraExamples, ['b@5000']);
});

test('a time stored for another host does not count for this one', () => {
  const r = reconcile(log({ a: [1000] }), log({ b: [1000] }));
  assert.deepEqual([r.lost, r.extra], [1, 1]);
});

test('a re-sent sample is one point sent and one duplicate', () => {
  const r = reconcile(log({ a: [1000, 1000, 2000] }), log({ a: [1000, 2000] }));
  assert.deepEqual([r.sent, r.stored, r.lost, r.extra, r.duplicates], [2, 2, 0, 0, 1]);
});

test('a host that stored nothing loses all its samples; examples are oldest first and capped', () => {
  const r = reconcile(log({ a: [5, 4, 3, 2, 1, 0] }), new Map(), 3);
  assert.equal(r.lost, 6);
  assert.deepEqual(r.lostExamples, ['a@0', 'a@1', 'a@2']);
});

test('logs from several workers merge per host', () => {
  const merged = mergeLogs([log({ a: [1], b: [2] }), log({ a: [3] })]);
  assert.deepEqual(merged.get('a'), [1, 3]);
  assert.deepEqual(merged.get('b'), [2]);
});

test('percentile is nearest-rank', () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile(values, 100), 100);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('CPU time of a process from /proc/<pid>/stat, with spaces and parentheses in its name', () => {
  const stat = '4242 (node (fleet) w) S 1 4242 4242 0 -1 4194560 9000 0 12 0 250 75 0 0 20 0 11 0 123 456 789';
  assert.equal(parseCpuMs(stat), 3250);
});

test('CPU time of a thread from its schedstat, in ns', () => {
  assert.equal(parseSchedstatNs('1234567890 55500 42\n'), 1234567890);
  assert.throws(() => parseSchedstatNs('\n'));
});

test('CPU time of every thread of this process grows by the work done', () => {
  const before = readThreadsCpuMs(process.pid) as number;
  const until = process.cpuUsage().user + 50_000;
  while (process.cpuUsage().user < until) Math.sqrt(Math.random());
  const spent = (readThreadsCpuMs(process.pid) as number) - before;
  assert.ok(spent >= 45 && spent < 500, `${spent} ms`);
  assert.equal(readThreadsCpuMs(2 ** 22 + 1), undefined, 'no such process');
});

test('busy share of the machine from /proc/stat', () => {
  const stat = 'cpu  100 5 45 800 50 0 0 0 0 0\ncpu0 50 2 20 400 25 0 0 0 0 0\n';
  assert.deepEqual(parseMachineTicks(stat), { busy: 150, total: 1000 });
});

test('listening sockets on the wanted ports, from /proc/net/tcp', () => {
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F96 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0',
    '   1: 00000000:2382 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2222 1 0000000000000000 100 0 0 10 0',
    '   2: 0100007F:2382 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 3333 1 0000000000000000 100 0 0 10 0',
  ].join('\n');
  // 0x1F96 = 8086, 0x2382 = 9090; the third line is an established connection, not a listener.
  assert.deepEqual(parseListeningInodes(table, new Set([8086, 9090])), ['1111', '2222']);
  assert.deepEqual(parseListeningInodes(table, new Set([9091])), []);
});
