import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nextRunAfter, parseSchedule, ScheduleError } from '../../src/agent/cronTimes.js';
import { EXPRESSIONS } from './cronOracle.js';

const ORACLE = fileURLToPath(new URL('./cronOracle.ts', import.meta.url));

/** Runs cronOracle.ts in a process whose local time is `tz`. */
function oracle(tz: string, cases: number, seed: number) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ORACLE, 'run', String(cases), String(seed)], {
    encoding: 'utf8',
    env: { ...process.env, TZ: tz },
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { checked: number; skipped: number; disagreements: unknown[] };
}

for (const tz of ['UTC', 'Europe/Berlin', 'Asia/Kolkata']) {
  test(`nextRunAfter agrees with node-cron's own matcher (TZ=${tz})`, () => {
    const result = oracle(tz, 20, 7);
    assert.deepEqual(result.disagreements, []);
    // Days with a daylight-saving change are left out of the comparison; most must remain.
    assert.ok(result.checked >= EXPRESSIONS.length * 20 * 0.7, `only ${result.checked} cases compared`);
  });
}

const at = (iso: string) => new Date(iso).getTime();
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

test('every second: the next whole second, never the same one', () => {
  process.env.TZ = 'UTC';
  const every = parseSchedule('* * * * * *');
  assert.equal(iso(nextRunAfter(every, at('2026-12-01T10:00:00.000Z'))), '2026-12-01T10:00:01.000Z');
  assert.equal(iso(nextRunAfter(every, at('2026-12-01T10:00:00.999Z'))), '2026-12-01T10:00:01.000Z');
  assert.equal(iso(nextRunAfter(every, at('2026-12-31T23:59:59.500Z'))), '2027-01-01T00:00:00.000Z');
});

test('five-field expressions run at second 0; a date eight years away is no next run', () => {
  process.env.TZ = 'UTC';
  assert.equal(iso(nextRunAfter(parseSchedule('*/10 * * * *'), at('2026-12-01T10:01:30Z'))), '2026-12-01T10:10:00.000Z');
  // 29 February on a Monday: 2044 is the next.
  const leapMonday = parseSchedule('0 0 0 29 2 1', at('2040-12-01T10:00:00Z'));
  assert.equal(nextRunAfter(leapMonday, at('2026-12-01T10:00:00Z')), undefined);
  assert.equal(iso(nextRunAfter(leapMonday, at('2040-12-01T10:00:00Z'))), '2044-02-29T00:00:00.000Z');
});

test('a daylight-saving change: the skipped hour does not run, the repeated hour runs twice', () => {
  process.env.TZ = 'Europe/Berlin';
  try {
    const every15min = parseSchedule('0 */15 * * * *');
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST.
    assert.equal(iso(nextRunAfter(every15min, at('2026-03-29T00:59:00Z'))), '2026-03-29T01:00:00.000Z');
    // 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:45 local comes twice.
    const first = nextRunAfter(every15min, at('2026-10-25T00:44:00Z'));
    assert.equal(iso(first), '2026-10-25T00:45:00.000Z');
    assert.equal(iso(nextRunAfter(every15min, first as number)), '2026-10-25T01:00:00.000Z');
  } finally {
    process.env.TZ = 'UTC';
  }
});

test('a bad expression is a ScheduleError that quotes node-cron and shows a good one', () => {
  assert.throws(
    () => parseSchedule('61 * * * * *'),
    (err: Error) => err instanceof ScheduleError && /61 is a invalid expression for second/.test(err.message) && /"\* \* \* \* \* \*"/.test(err.message),
  );
  assert.throws(() => parseSchedule('every second'), ScheduleError);
  assert.throws(() => parseSchedule('0 0 0 29 2 1', at('2026-12-01T10:00:00Z')), /matches no time in the next eight years/);
});
