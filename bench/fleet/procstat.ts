import { readFileSync, readdirSync } from 'node:fs';

/** USER_HZ: clock ticks per second in /proc/<pid>/stat (100 on Linux for x86 and ARM). */
const CLOCK_TICKS = 100;

/** utime + stime of a /proc/<pid>/stat line, in ms. */
export function parseCpuMs(stat: string): number {
  // Counted from after the command name, which is in parentheses and may hold spaces:
  // state is [0], so utime and stime (fields 14 and 15 of proc(5)) are [11] and [12].
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** Busy and total jiffies of all CPUs from /proc/stat's first line. */
export function parseMachineTicks(stat: string): { busy: number; total: number } {
  const values = (stat.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = values.slice(0, 8).reduce((sum, v) => sum + v, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

export function readCpuMs(pid: number): number | undefined {
  try {
    return parseCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function readRssMb(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** Pids whose command line contains `needle` (e.g. `kafka.Kafka`, `influxd`). */
export function findPids(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(needle)) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids.filter((pid) => pid !== process.pid);
}
