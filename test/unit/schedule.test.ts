import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTicker, type TickerClock } from '../../src/agent/schedule.js';

/**
 * A wall clock and a monotonic timer queue that tests move by hand: `advance`
 * moves both (firing timers in order), `stepWall` sets only the wall clock, as
 * NTP does, and `stall` moves both without firing, as a blocked event loop.
 */
class FakeClock implements TickerClock {
  private mono = 0;
  private timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  constructor(private wall: number) {}
  now = () => this.wall;
  setTimer = (fn: () => void, ms: number) => {
    const timer = { at: this.mono + ms, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  };
  async advance(ms: number): Promise<void> {
    const end = this.mono + ms;
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      // An overdue timer (after a stall) fires now; time never goes back.
      this.wall += Math.max(0, due.at - this.mono);
      this.mono = Math.max(this.mono, due.at);
      due.cancelled = true;
      due.fn();
      await flush();
    }
    this.wall += end - this.mono;
    this.mono = end;
  }
  stepWall(ms: number): void {
    this.wall += ms;
  }
  stall(ms: number): void {
    this.wall += ms;
    this.mono += ms;
  }
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
const START = Date.UTC(2026, 11, 1, 10, 0, 0, 250);

/** A ticker every second on a fake clock, recording the wall-clock time of each run. */
function everySecond() {
  const clock = new FakeClock(START);
  const runs: number[] = [];
  const ticker = startTicker('* * * * * *', async () => void runs.push(clock.now()), { clock });
  return { clock, runs, ticker };
}

test('every second on the second: one run per second, none missed', async () => {
  const { clock, runs, ticker } = everySecond();
  await clock.advance(3_000);
  assert.deepEqual(
    runs.map((t) => t - START),
    [750, 1_750, 2_750],
  );
  assert.equal(ticker.missed, 0);
  await ticker.stop();
  await clock.advance(3_000);
  assert.equal(runs.length, 3, 'no run after stop');
  assert.equal(clock.pending, 0);
});

test('a tick while the job still runs is skipped and counted, never stacked', async () => {
  const clock = new FakeClock(START);
  let concurrent = 0;
  let most = 0;
  let release: () => void = () => undefined;
  let runs = 0;
  const ticker = startTicker(
    '* * * * * *',
    () => {
      runs += 1;
      concurrent += 1;
      most = Math.max(most, concurrent);
      return new Promise<void>((resolve) => {
        release = () => {
          concurrent -= 1;
          resolve();
        };
      });
    },
    { clock },
  );
  await clock.advance(3_000); // runs at 0.75 s; 1.75 s and 2.75 s find it still running
  assert.equal(runs, 1);
  assert.equal(ticker.missed, 2);
  release();
  await flush();
  await clock.advance(1_000);
  assert.equal(runs, 2);
  assert.equal(most, 1);
  release();
  await ticker.stop();
});

test('a stalled event loop: the runs it slept through are counted, the latest runs', async () => {
  const { clock, runs, ticker } = everySecond();
  await clock.advance(1_000); // one run at 0.75 s
  clock.stall(5_100); // the 1.75 s timer fires at 6.1 s
  await clock.advance(1);
  assert.equal(runs.length, 2);
  assert.equal(ticker.missed, 4, 'the runs due at 1.75 … 4.75 s were missed; the one due at 5.75 s is under a second late and runs');
  await ticker.stop();
});

test('the wall clock set back an hour: ticking goes on within a second, not an hour later', async () => {
  const { clock, runs, ticker } = everySecond();
  await clock.advance(1_000);
  clock.stepWall(-3_600_000);
  await clock.advance(2_000);
  assert.equal(runs.length, 2, `runs at ${runs.map((t) => t - START)}`);
  assert.ok((runs[1] as number) < START, 'the second run is in the new, earlier time');
  assert.equal(ticker.missed, 0);
  await ticker.stop();
});

test('the wall clock set forward two hours (NTP on a Pi without a clock): no missed runs counted, ticking goes on', async () => {
  const { clock, runs, ticker } = everySecond();
  await clock.advance(1_000);
  clock.stepWall(7_200_000);
  await clock.advance(2_000);
  assert.equal(ticker.missed, 0);
  assert.ok(runs.length >= 2 && (runs.at(-1) as number) > START + 7_200_000);
  await ticker.stop();
});

test('a job that throws is reported and the schedule goes on; stop waits for the job in flight', async () => {
  const clock = new FakeClock(START);
  const errors: unknown[] = [];
  let calls = 0;
  let finished = false;
  const ticker = startTicker(
    '* * * * * *',
    async () => {
      calls += 1;
      if (calls === 1) throw new Error('no /proc/stat');
      await flush();
      finished = true;
    },
    { clock, onError: (err) => errors.push(err) },
  );
  await clock.advance(1_000);
  assert.equal((errors[0] as Error).message, 'no /proc/stat');
  await clock.advance(1_000);
  assert.equal(calls, 2);
  await ticker.stop();
  assert.ok(finished);
});
