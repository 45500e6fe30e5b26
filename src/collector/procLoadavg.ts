import { ProcParseError } from './procStat.js';

/** The 1-minute load average, the first column of /proc/loadavg. */
export function parseLoad1(text: string): number {
  const load1 = Number(text.trim().split(/\s+/)[0]);
  if (!Number.isFinite(load1)) throw new ProcParseError(`unreadable /proc/loadavg: ${text.slice(0, 80)}`);
  return load1;
}
