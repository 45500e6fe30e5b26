import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runVerify, type VerifyOptions } from '../../src/consumer/verify/verify.js';
import { baselineCovered, nextStep, readSince, type VerifyPlan, type VerifyState, type VerifyStep } from '../../src/consumer/verify/verifyStep.js';
import type { Reading } from '../../src/influx/query.js';

const plan: VerifyPlan = { host: 'pi-1', baselineMs: 8_000, windowMs: 25_000, waitMs: 30_000, minRise: 30 };
const at = (time: number, value: number): Reading => ({ time, value });
const polling = (step: VerifyStep): VerifyState => {
  assert.equal(step.done, false, step.say);
  return (step as { state: VerifyState }).state;
};

test('with no readings yet, verify says once that it waits, then FAILs after the wait with how long it waited', () => {
  let state: VerifyState = { startedAt: 100_000 };
  const first = nextStep(plan, state, [], 100_000);
  assert.match(first.say ?? '', /^waiting up to 30 s for 8 s of CPU_Usage of host "pi-1" as the baseline/);
  state = polling(first);
  const second = nextStep(plan, state, [], 110_000);
  assert.equal(second.say, undefined, 'the waiting line is said once');
  state = polling(second);
  const last = nextStep(plan, state, [], 131_000);
  assert.deepEqual(last, {
    done: true,
    pass: false,
    say: 'FAIL  no CPU_Usage for host "pi-1" in the last 8 s, nor after waiting 31 s for readings on their way: is tower-agent running there, and tower-sink writing?',
  });
});

test('--wait 0 fails at once when there is no reading, as before', () => {
  const step = nextStep({ ...plan, waitMs: 0 }, { startedAt: 100_000 }, [], 100_000);
  assert.equal(step.done && step.pass, false);
  assert.match(step.say ?? '', /^FAIL {2}no CPU_Usage for host "pi-1" in the last 8 s, nor after waiting 0 s/);
});

test('an agent that has run for the baseline has it at once: the load is called for without waiting', () => {
  const state: VerifyState = { startedAt: 100_000 };
  assert.equal(readSince(plan, state), 92_000);
  // One a second, the first 0.6 s into the baseline: it reaches back 8 s.
  const readings = Array.from({ length: 8 }, (_, i) => at(92_600 + i * 1_000, 5));
  assert.equal(baselineCovered(readings, 100_000), 8_400);
  const step = nextStep(plan, state, readings, 100_000);
  assert.equal(step.say, 'baseline: 8 readings of pi-1; start the load now, waiting up to 25 s for a rise of 30 points…');
  assert.deepEqual(polling(step), { startedAt: 100_000, loadAt: 100_000 });
});

test('an agent that started with verify: it waits until the readings reach back the baseline, or for --wait', () => {
  let state: VerifyState = { startedAt: 100_000 };
  state = polling(nextStep(plan, state, [], 100_000));
  // The first batch: 6 s of readings, the agent's own start among them, too short a baseline.
  const batch = [106_000, 107_000, 108_000, 109_000, 110_000, 111_000].map((t) => at(t, 40));
  const early = nextStep(plan, state, batch, 111_300);
  assert.equal(early.say, undefined, 'the waiting line was said already');
  state = polling(early);
  const step = nextStep(plan, state, batch, 113_000);
  assert.equal(step.say, 'baseline: 6 readings of pi-1; start the load now, waiting up to 25 s for a rise of 30 points…');
  assert.equal(polling(step).loadAt, 113_000);
  // With a baseline longer than the wait, the wait decides, with the readings there are.
  const long = { ...plan, baselineMs: 60_000 };
  assert.equal(nextStep(long, { startedAt: 100_000, saidWaiting: true }, batch, 129_000).done, false);
  assert.equal(polling(nextStep(long, { startedAt: 100_000, saidWaiting: true }, batch, 130_000)).loadAt, 130_000);
});

test('readings taken before the call for load count for the baseline whenever they land; later ones for the window', () => {
  const state: VerifyState = { startedAt: 100_000, loadAt: 111_000 };
  // 109–111 s landed late, after the baseline line: the baseline's mean is 5 with them, not 20.
  const baseline = [at(107_000, 20), at(108_000, 20), at(109_000, 0), at(110_000, 0), at(111_000, 0)];
  const step = nextStep(plan, state, [...baseline, at(112_000, 40), at(113_000, 40), at(114_000, 41)], 119_000);
  assert.equal(step.done && step.pass, true, step.say);
  assert.match(step.say ?? '', /^PASS {2}CPU_Usage of pi-1: baseline 8\.0%, peak 40\.3%.*\n.*\(8 readings, 0–100%\)$/);
});

test('at the end of the window, verify waits for its last readings: until a later one lands, or for --wait', () => {
  const state: VerifyState = { startedAt: 100_000, loadAt: 110_000 };
  const baseline = [at(108_000, 5), at(109_000, 5)];
  const flat = Array.from({ length: 20 }, (_, i) => at(111_000 + i * 1_000, 6));
  // 25 s after the load was called for, readings up to 130 s have landed: the last 5 s of the window are on their way.
  assert.equal(nextStep(plan, state, [...baseline, ...flat], 135_500).done, false);
  // They land, the rise with them; readings after the end do not count.
  const late = [at(131_000, 50), at(132_000, 50), at(133_000, 50), at(134_000, 50), at(135_000, 50), at(136_000, 90), at(137_000, 90), at(138_000, 90)];
  const passed = nextStep(plan, state, [...baseline, ...flat, ...late], 141_000);
  assert.equal(passed.done && passed.pass, true, passed.say);
  assert.match(passed.say ?? '', /peak 50\.0%.*\n.*\(27 readings/);
  // No rise in them: FAIL once a reading from after the end has landed…
  const quiet = [131_000, 132_000, 133_000, 134_000, 135_000, 136_000].map((t) => at(t, 6));
  const failed = nextStep(plan, state, [...baseline, ...flat, ...quiet], 141_000);
  assert.equal(failed.done && !failed.pass, true, failed.say);
  assert.match(failed.say ?? '', /^FAIL {2}CPU_Usage of pi-1: .*\n.*\(27 readings/);
  // …or --wait after the end when none lands (the agent stopped).
  assert.equal(nextStep(plan, state, [...baseline, ...flat], 164_000).done, false);
  assert.equal(nextStep(plan, state, [...baseline, ...flat], 165_000).done, true);
});

/**
 * An agent started with verify: a sample a second from 6 s on, sent in batches
 * that linger 5 s, written 0.3 s later; CPU_Usage 60 in its first 3 s (its own
 * start), 95 once the load runs, else 5.
 */
function lingeringPipeline(startedAt: number) {
  let clock = startedAt;
  let loadFrom = Number.POSITIVE_INFINITY;
  const landed = (taken: number) => {
    const first = startedAt + 6_000;
    const batchOpened = first + Math.floor((taken - first) / 6_000) * 6_000;
    return batchOpened + 5_000 + 300;
  };
  const samples = Array.from({ length: 120 }, (_, i) => startedAt + 6_000 + i * 1_000);
  return {
    startLoad: () => {
      loadFrom = clock;
    },
    io: {
      now: () => clock,
      sleep: async (ms: number) => {
        clock += ms;
      },
      read: async (since: number) =>
        samples.filter((t) => t >= since && landed(t) <= clock).map((t) => at(t, t > loadFrom + 1_000 ? 95 : t < startedAt + 9_000 ? 60 : 5)),
    },
  };
}

test('verify started together with the agent waits for its lingering samples and PASSes under load', async () => {
  const startedAt = 1_000_000;
  const pipeline = lingeringPipeline(startedAt);
  const lines: string[] = [];
  const options: VerifyOptions = {
    influx: { api: 'v2', url: 'http://127.0.0.1:1', org: 'GIST', bucket: 'Labs', token: 'unused' },
    db: 'Labs',
    measurement: 'labs',
    host: 'pi-1',
    baselineS: 8,
    windowS: 25,
    minRise: 30,
    waitS: 30,
    pollMs: 500,
  };
  const pass = await runVerify(
    options,
    (line) => {
      lines.push(line);
      if (line.startsWith('baseline: ')) pipeline.startLoad();
    },
    pipeline.io,
  );
  assert.equal(pass, true, lines.join('\n'));
  assert.match(lines[0] ?? '', /^waiting up to 30 s /);
  assert.match(lines[1] ?? '', /^baseline: 6 readings of pi-1; start the load now/);
  // Taken 6–13 s after the start, the last two landing after the baseline line: 3 of the start at 60 %, 5 idle.
  assert.match(lines[2] ?? '', /^PASS {2}CPU_Usage of pi-1: baseline 25\.6%, peak 95\.0%/);
  assert.equal(lines.length, 3);
});
