import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

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

/** The first field of /proc/<pid>/task/<tid>/schedstat: time on a CPU, ns. */
export function parseSchedstatNs(schedstat: string): number {
  const ns = /^\d+/.exec(schedstat)?.[0];
  if (ns === undefined) throw new Error(`unreadable schedstat: ${schedstat}`);
  return Number(ns);
}

/**
 * CPU time of every live thread of `pid`, ms, to the nanosecond: utime and
 * stime count 10 ms ticks, too coarse for a process that runs about 1 ms a
 * second. A thread that exits takes its time with it, so this suits a
 * process whose threads live as long as it does.
 */
export function readThreadsCpuMs(pid: number): number | undefined {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) ns += parseSchedstatNs(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8'));
    return ns / 1e6;
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

/** Socket inodes of TCP sockets listening on `ports`, from the text of /proc/net/tcp or tcp6. */
export function parseListeningInodes(table: string, ports: ReadonlySet<number>): string[] {
  const inodes: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    if (!local || cols[3] !== '0A') continue; // 0A = LISTEN
    if (ports.has(Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16))) inodes.push(cols[9] as string);
  }
  return inodes;
}

/**
 * Pids of the processes listening on `ports` (e.g. the brokers' 9090-9092, or
 * InfluxDB's 8086): this names the servers a run uses even when other
 * instances of the same programs run on the machine.
 */
export function pidsListeningOn(ports: readonly number[]): number[] {
  const wanted = new Set(ports);
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const inode of parseListeningInodes(readFileSync(table, 'utf8'), wanted)) inodes.add(`socket:[${inode}]`);
    } catch {
      // no IPv6
    }
  }
  const pids = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        if (inodes.has(safeReadlink(`/proc/${entry}/fd/${fd}`))) {
          pids.add(Number(entry));
          break;
        }
      }
    } catch {
      // the process ended meanwhile, or is not ours to look into
    }
  }
  return [...pids];
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}
