import cron from 'node-cron';
import { ConfigError } from '../cli.js';

/** A cron expression as node-cron parses it: the allowed values of each field. */
export type CronFields = ReturnType<typeof cron.parse>;

export class ScheduleError extends ConfigError {
  override name = 'ScheduleError';
}

/**
 * Parses a cron expression with node-cron (5 fields, or 6 with seconds first;
 * names, ranges, steps, `L`, `W`, `#`), so the agent accepts exactly node-cron's
 * language and reports its field errors. An expression that matches no time
 * within eight years of `now` (valid, but never run) is refused too.
 */
export function parseSchedule(expression: string, now = Date.now()): CronFields {
  const { valid, errors } = cron.validateDetailed(expression);
  if (!valid) {
    const why = errors.map((e) => e.message).join('; ');
    throw new ScheduleError(`invalid --schedule "${expression}": ${why}. Use a cron expression with a seconds field, e.g. "* * * * * *" for every second`);
  }
  const fields = cron.parse(expression);
  if (nextRunAfter(fields, now) === undefined) {
    throw new ScheduleError(`--schedule "${expression}" matches no time in the next eight years; the agent would never sample`);
  }
  return fields;
}

/** How far ahead nextRunAfter looks before deciding the expression never matches (e.g. 30 February). */
const MAX_LOOKAHEAD_MS = 8 * 366 * 86_400_000;

/**
 * The first whole second after `afterMs` (ms since the epoch) that the fields
 * match in the machine's local time; node-cron's semantics (every field must
 * match, day of month and day of week alike). Plain Date arithmetic: node-cron's
 * own scheduler formats candidates with Intl.DateTimeFormat, which cost about
 * 3.5 ms of CPU and 15 MB of RSS per second of ticking in the agent
 * (measured), more than sampling itself.
 *
 * Hours, minutes and seconds are stepped as instants, so a local hour that a
 * daylight-saving change repeats is run twice and one it skips is not run;
 * months and days are stepped on the calendar. Returns undefined when nothing
 * matches within eight years.
 */
export function nextRunAfter(fields: CronFields, afterMs: number): number | undefined {
  const limit = afterMs + MAX_LOOKAHEAD_MS;
  let t = Math.floor(afterMs / 1000) * 1000 + 1000;
  while (t <= limit) {
    const at = new Date(t);
    const s = at.getSeconds();
    const mi = at.getMinutes();
    if (!fields.month.includes(at.getMonth() + 1)) {
      t = new Date(at.getFullYear(), at.getMonth() + 1, 1).getTime();
    } else if (!dayMatches(fields, at)) {
      t = new Date(at.getFullYear(), at.getMonth(), at.getDate() + 1).getTime();
    } else if (!fields.hour.includes(at.getHours())) {
      t += ((59 - mi) * 60 + (60 - s)) * 1000;
    } else if (!fields.minute.includes(mi)) {
      t += (60 - s) * 1000;
    } else if (!fields.second.includes(s)) {
      t += 1000;
    } else {
      return t;
    }
  }
  return undefined;
}

function dayMatches(fields: CronFields, day: Date): boolean {
  const y = day.getFullYear();
  const m = day.getMonth() + 1;
  const d = day.getDate();
  return (
    fields.dayOfMonth.some((token) => dayOfMonthMatches(token, y, m, d)) && fields.dayOfWeek.some((token) => dayOfWeekMatches(token, y, m, d, day.getDay()))
  );
}

const lastDayOfMonth = (y: number, m: number) => new Date(y, m, 0).getDate();

/** A number, `L` (last day), `L-N` (N days before it), `NW` or `LW` (nearest weekday). */
function dayOfMonthMatches(token: number | string, y: number, m: number, d: number): boolean {
  if (typeof token === 'number') return token === d;
  const last = lastDayOfMonth(y, m);
  if (token === 'L') return d === last;
  const before = /^L-(\d{1,2})$/.exec(token);
  if (before) return last - Number(before[1]) === d;
  const weekday = /^(\d{1,2}|L)W$/.exec(token);
  if (weekday) return nearestWeekday(y, m, weekday[1] === 'L' ? last : Number(weekday[1])) === d;
  return false;
}

function nearestWeekday(y: number, m: number, target: number): number {
  const last = lastDayOfMonth(y, m);
  if (target < 1 || target > last) return -1;
  const weekday = new Date(y, m - 1, target).getDay();
  if (weekday === 6) return target === 1 ? target + 2 : target - 1;
  if (weekday === 0) return target === last ? target - 2 : target + 1;
  return target;
}

/** A number (0 = Sunday), `NL` (last such weekday of the month) or `N#K` (the K-th). */
function dayOfWeekMatches(token: number | string, y: number, m: number, d: number, weekday: number): boolean {
  if (typeof token === 'number') return token === weekday;
  const last = /^([0-7])L$/i.exec(token);
  if (last) return Number(last[1]) % 7 === weekday && d + 7 > lastDayOfMonth(y, m);
  const nth = /^([0-7])#([1-5])$/.exec(token);
  if (nth) return Number(nth[1]) % 7 === weekday && Math.floor((d - 1) / 7) + 1 === Number(nth[2]);
  return false;
}
