import cron from 'node-cron';

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

export interface Ticker {
  stop(): Promise<void>;
  /** Ticks skipped because the previous run had not finished. */
  readonly missed: number;
}

/**
 * Runs `job` on a cron schedule with a seconds field (`* * * * * *` = every
 * second). A tick that comes while the previous job still runs is skipped and
 * counted rather than stacked.
 */
export function startTicker(expression: string, job: () => Promise<void>): Ticker {
  if (!cron.validate(expression)) {
    throw new ScheduleError(
      `invalid schedule "${expression}": use a cron expression with a seconds field, e.g. "* * * * * *" for every second`,
    );
  }
  let missed = 0;
  const task = cron.schedule(expression, job, { noOverlap: true, name: 'sample' });
  task.on('execution:overlap', () => {
    missed += 1;
  });
  task.on('execution:missed', () => {
    missed += 1;
  });
  return {
    stop: async () => {
      await task.stop();
      await task.destroy();
    },
    get missed() {
      return missed;
    },
  };
}
