/** Cumulative CPU time of all cores, in USER_HZ ticks, as /proc/stat reports it. */
export interface CpuTimes {
  busy: number;
  total: number;
}

export class ProcParseError extends Error {
  override name = 'ProcParseError';
}

/**
 * Reads the aggregate `cpu` line of /proc/stat. Columns: user nice system idle
 * iowait irq softirq steal guest guest_nice. guest and guest_nice are already
 * counted in user and nice, so they are left out of the total.
 */
export function parseProcStat(text: string): CpuTimes {
  // Only the aggregate line (normally the first) is read, not every core and interrupt after it.
  let start = 0;
  if (!text.startsWith('cpu ')) {
    start = text.indexOf('\ncpu ') + 1;
    if (start === 0) throw new ProcParseError('no aggregate "cpu" line in /proc/stat');
  }
  const end = text.indexOf('\n', start);
  const line = text.slice(start, end < 0 ? text.length : end);
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (ticks.length < 4 || ticks.some((n) => !Number.isFinite(n))) {
    throw new ProcParseError(`unreadable cpu line in /proc/stat: ${line}`);
  }
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}

/** Percentage of CPU time spent busy between two readings, 0–100. */
export function cpuUsagePercent(prev: CpuTimes, cur: CpuTimes): number {
  const total = cur.total - prev.total;
  if (total <= 0) return 0;
  const busy = cur.busy - prev.busy;
  return Math.min(100, Math.max(0, (busy / total) * 100));
}
