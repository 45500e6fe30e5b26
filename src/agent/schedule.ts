import { type CronFields, nextRunAfter, parseSchedule } from './cronTimes.js';

export interface Ticker {
  /** Stops ticking; resolves once a job in progress has finished. */
  stop(): Promise<void>;
  /** Runs that did not happen: the previous job still ran, or the process was too late for them. */
  readonly missed: number;
}

/** The clock and timer the ticker runs on; tests pass their own. */
export interface TickerClock {
  now(): number;
  setTimer(fn: () => void, ms: number): { cancel(): void };
}

const SYSTEM_CLOCK: TickerClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(timer) };
  },
};

export interface TickerOptions {
  /** Default: the system clock and setTimeout. */
  clock?: TickerClock;
  /** Called with what a job threw; the schedule goes on. Default: ignore. */
  onError?: (err: unknown) => void;
}

/** A run this late (ms) is skipped and counted as missed, as node-cron does. */
const MISSED_AFTER_MS = 1_000;
/** A wall-clock step larger than this (NTP's first sync on a Pi without a clock) is not counted as missed runs. */
const CLOCK_STEP_MS = 3_600_000;

/**
 * Runs `job` on a cron schedule in node-cron's syntax with a seconds field
 * (`* * * * * *` = every second). A run that comes while the previous job
 * still runs is skipped and counted rather than stacked; so is one the process
 * reaches more than a second late (a stalled event loop). When the wall clock
 * is stepped (NTP), the schedule continues from the new time.
 */
export function startTicker(expression: string, job: () => Promise<void>, options: TickerOptions = {}): Ticker {
  const { clock = SYSTEM_CLOCK, onError = () => undefined } = options;
  const fields = parseSchedule(expression);
  let missed = 0;
  let stopped = false;
  let running: Promise<void> | undefined;
  let timer: { cancel(): void } | undefined;

  const arm = (due: number | undefined) => {
    if (stopped || due === undefined) return;
    timer = clock.setTimer(() => fire(due), Math.max(0, due - clock.now()));
  };

  const fire = (due: number) => {
    const now = clock.now();
    // Timers run on a monotonic clock; the wall clock may have been set back meanwhile.
    if (now < due) return arm(due - now > MISSED_AFTER_MS ? nextRunAfter(fields, now) : due);
    const plan = planRun(fields, due, now);
    missed += plan.missed;
    if (plan.run && running) missed += 1;
    else if (plan.run)
      running = job()
        .catch(onError)
        .finally(() => (running = undefined));
    arm(plan.next);
  };

  arm(nextRunAfter(fields, clock.now()));
  return {
    stop: async () => {
      stopped = true;
      timer?.cancel();
      await running;
    },
    get missed() {
      return missed;
    },
  };
}

/**
 * A run was due at `due` and it is now `now`: every run due since is passed
 * over and counted as missed except the latest, which runs if it is at most
 * MISSED_AFTER_MS late. After a forward step of the wall clock nothing is
 * counted and the schedule goes on from `now`.
 */
function planRun(fields: CronFields, due: number, now: number): { run: boolean; missed: number; next: number | undefined } {
  if (now - due > CLOCK_STEP_MS) return { run: false, missed: 0, next: nextRunAfter(fields, now) };
  let passed = 1;
  let latest = due;
  let next = nextRunAfter(fields, due);
  while (next !== undefined && next <= now) {
    passed += 1;
    latest = next;
    next = nextRunAfter(fields, latest);
  }
  const run = now - latest <= MISSED_AFTER_MS;
  return { run, missed: run ? passed - 1 : passed, next };
}
