import { ProcParseError } from './procStat.js';

/** /proc/meminfo as a map of name → kB. */
export function parseMeminfo(text: string): Map<string, number> {
  const info = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([\w()]+):\s+(\d+)/.exec(line);
    if (match) info.set(match[1] as string, Number(match[2]));
  }
  return info;
}

/**
 * Memory available for new work, kB (the lab's `free_ram`). Kernels before
 * 3.14 have no MemAvailable; MemFree + Buffers + Cached approximates it there.
 */
export function memAvailableKb(info: Map<string, number>): number {
  const available = info.get('MemAvailable');
  if (available !== undefined) return available;
  const free = info.get('MemFree');
  if (free === undefined) throw new ProcParseError('/proc/meminfo has neither MemAvailable nor MemFree');
  return free + (info.get('Buffers') ?? 0) + (info.get('Cached') ?? 0);
}
