import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSample } from '../../src/schema/sample.js';
import { BURST_HEADER, hostileBurst } from '../../support/hostile.js';
import { DrillUsageError, parseDrillArgs } from '../drills/args.js';
import {
  type BacklogObservation,
  combine,
  type DrillMeasurement,
  doneWatching,
  judge,
  peakBacklog,
  reconcileCounts,
  recoveryMs,
  steadyBacklog,
  summarize,
} from '../drills/verdict.js';

const clean: DrillMeasurement = { sent: 6000, stored: 6000, lost: 0, extra: 0, recoveryMs: 12_000, checks: [] };
const series = (startMs: number, backlogs: number[]): BacklogObservation[] => backlogs.map((backlog, i) => ({ atMs: startMs + i * 1000, backlog }));

test('a drill with no loss, no extra points and a quick drain passes', () => {
  assert.deepEqual(judge(clean), { pass: true, failures: [] });
});

test('one lost sample, one extra point, a slow drain or a failed check each fail the drill and say why', () => {
  assert.match(judge({ ...clean, lost: 1, stored: 5999 }).failures.join(), /1 acknowledged samples missing/);
  assert.match(judge({ ...clean, extra: 1, stored: 6001 }).failures.join(), /1 extra points/);
  assert.match(judge({ ...clean, recoveryMs: 30_001 }).failures.join(), /drained 30 s after the fault \(target ≤ 30 s\)/);
  assert.match(judge({ ...clean, recoveryMs: undefined }).failures.join(), /never drained/);
  const check = { name: 'dead letters', ok: false, detail: '3 of 40 bad messages missing from resource.dlq' };
  assert.deepEqual(judge({ ...clean, checks: [check, { name: 'sinks alive', ok: true, detail: '' }] }).failures, [`dead letters: ${check.detail}`]);
  assert.equal(judge({ ...clean, recoveryMs: 30_000 }).pass, true, 'the target itself is within target');
});

test('a drill that measured nothing fails, even with nothing lost', () => {
  const judged = judge({ ...clean, sent: 0, stored: 0 });
  assert.equal(judged.pass, false);
  assert.match(judged.failures.join(), /measured nothing/);
});

test('targets can be loosened for development', () => {
  assert.equal(judge({ ...clean, lost: 2 }, { maxLost: 2, maxExtra: 0, maxRecoveryMs: 30_000 }).pass, true);
});

test('counts-only reconciliation: a shortfall is loss, a surplus is extra', () => {
  assert.deepEqual(reconcileCounts(100, 97), { sent: 100, stored: 97, lost: 3, extra: 0 });
  assert.deepEqual(reconcileCounts(100, 101), { sent: 100, stored: 101, lost: 0, extra: 1 });
  assert.deepEqual(combine([reconcileCounts(100, 97), { sent: 50, stored: 52, lost: 0, extra: 2 }]), { sent: 150, stored: 149, lost: 3, extra: 2 });
  assert.deepEqual(combine([]), { sent: 0, stored: 0, lost: 0, extra: 0 });
});

test('the steady backlog is the most seen before the fault, never below the floor, ignoring unreadable looks', () => {
  assert.equal(steadyBacklog(series(0, [120, 300, Number.NaN, 80]), 100), 300);
  assert.equal(steadyBacklog(series(0, [20, 40]), 100), 100);
  assert.equal(steadyBacklog([], 100), 100);
});

test('recovery is timed from the fault end to the first look from which the backlog stays drained for the hold time', () => {
  // fault ends at 10 s; backlog 5000, 3000, 900 (dip), 1200, 400, 300, 200, 100 at 10..17 s
  const looks = [...series(0, [50, 60]), ...series(10_000, [5000, 3000, 900, 1200, 400, 300, 200, 100])];
  assert.equal(recoveryMs(10_000, looks, 1000, 2000), 4000, 'the dip at 12 s does not hold; 14 s does');
  assert.equal(recoveryMs(10_000, looks, 1000, 5000), undefined, 'not watched long enough to confirm a 5 s hold');
  assert.equal(recoveryMs(10_000, looks, 10_000, 2000), 0, 'never backed up: recovered at once');
  assert.equal(recoveryMs(10_000, looks, 50, 2000), undefined);
});

test('looks before the fault end, unreadable looks and unordered input are handled', () => {
  const looks = [
    { atMs: 13_000, backlog: 10 },
    { atMs: 11_000, backlog: Number.NaN },
    { atMs: 5_000, backlog: 0 },
    { atMs: 12_000, backlog: 10 },
    { atMs: 14_000, backlog: 10 },
  ];
  assert.equal(recoveryMs(10_000, looks, 100, 2000), 2000, 'the broker-down NaN at 11 s is not drained; the pre-fault 0 does not count');
  assert.equal(recoveryMs(10_000, [], 100, 2000), undefined);
});

test("a drill's own hold keeps a look from counting as drained, however small the backlog", () => {
  const looks = series(10_000, [5, 5, 5, 5, 5]).map((o, i) => ({ ...o, held: i < 2 }));
  assert.equal(recoveryMs(10_000, looks, 100, 2000), 2000);
  assert.equal(steadyBacklog(looks, 1), 5);
});

test('the peak backlog of a window skips unreadable looks and counts them', () => {
  const looks = [...series(0, [10, 20]), ...series(2_000, [400, Number.NaN, 700, 900, 50])];
  assert.deepEqual(peakBacklog(looks, 2_000, 6_000), { peak: 900, unreadable: 1 });
  assert.deepEqual(peakBacklog(looks, 100_000, 200_000), { peak: 0, unreadable: 0 });
});

test('watching stops once recovery held, or at the deadline', () => {
  const looks = series(10_000, [5000, 100, 100, 100]);
  assert.equal(doneWatching(10_000, looks, 1000, 2000, 13_000, 60_000), true);
  assert.equal(doneWatching(10_000, looks.slice(0, 3), 1000, 2000, 12_000, 60_000), false);
  assert.equal(doneWatching(10_000, series(10_000, [5000, 5000]), 1000, 2000, 70_000, 60_000), true);
});

test('the summary passes only when every drill ran and passed', () => {
  assert.deepEqual(
    summarize([
      { drill: 'a', pass: true },
      { drill: 'b', pass: true },
    ]),
    { summary: true, verdict: 'PASS', passed: ['a', 'b'], failed: [] },
  );
  assert.equal(
    summarize([
      { drill: 'a', pass: true },
      { drill: 'b', pass: false },
    ]).verdict,
    'FAIL',
  );
  assert.equal(summarize([]).verdict, 'FAIL');
});

test('--agents and --only', () => {
  assert.deepEqual(parseDrillArgs([]), { agents: 1000, only: ['a', 'b', 'c', 'd', 'e'] });
  assert.deepEqual(parseDrillArgs(['--agents', '50', '--only', 'e,a']), { agents: 50, only: ['a', 'e'] });
  assert.deepEqual(parseDrillArgs(['--only=B']), { agents: 1000, only: ['b'] });
  assert.throws(() => parseDrillArgs(['--agents', '0']), DrillUsageError);
  assert.throws(() => parseDrillArgs(['--agents', 'many']), /--agents must be a whole number/);
  assert.throws(() => parseDrillArgs(['--only', 'a,z']), /--only takes drill letters/);
  assert.throws(() => parseDrillArgs(['--only', ',']), DrillUsageError);
  assert.throws(() => parseDrillArgs(['--seconds', '3']), DrillUsageError);
});

test('the hostile burst: replayable from its seed, every message marked, good and bad counted apart', () => {
  const burst = hostileBurst(42, 500, 'drill-x-hostile-', 'b1', 1_700_000_000_000);
  assert.deepEqual(hostileBurst(42, 500, 'drill-x-hostile-', 'b1', 1_700_000_000_000), burst);
  assert.equal(burst.messages.length, 500);
  assert.ok(burst.messages.every((m) => m.headers[BURST_HEADER] === 'b1'));
  const good = [...burst.good.values()].reduce((n, times) => n + times.length, 0);
  assert.equal(good + burst.bad, 500);
  assert.ok(good > 100 && burst.bad > 250, `good ${good}, bad ${burst.bad}`);
  for (const [host, times] of burst.good) {
    assert.ok(host.startsWith('drill-x-hostile-'));
    for (const time of times) assert.ok(burst.messages.some((m) => m.key === host && decodeSample(m.value).time === time));
  }
  assert.notDeepEqual(hostileBurst(43, 500, 'drill-x-hostile-', 'b1', 1_700_000_000_000).messages, burst.messages);
});
