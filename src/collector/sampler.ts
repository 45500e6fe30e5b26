import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Fields } from '../schema/sample.js';
import { type CpuTimes, cpuUsagePercent, parseProcStat } from './procStat.js';
import { memAvailableKb, parseMeminfo } from './procMeminfo.js';

export interface SamplerOptions {
  /** Where procfs is mounted. Default `/proc`; tests point it at captured files. */
  procRoot?: string;
}

/**
 * Reads the machine's metrics straight from procfs: no child process, no shell.
 * CPU_Usage is measured between consecutive calls of `sample()`, so the first
 * reading is taken by `prime()`.
 */
export class Sampler {
  private readonly procRoot: string;
  private previousCpu: CpuTimes | undefined;

  constructor(options: SamplerOptions = {}) {
    this.procRoot = options.procRoot ?? '/proc';
  }

  async prime(): Promise<void> {
    this.previousCpu = parseProcStat(await this.read('stat'));
  }

  async sample(): Promise<Fields> {
    const [stat, meminfo] = await Promise.all([this.read('stat'), this.read('meminfo')]);
    const cpu = parseProcStat(stat);
    const usage = this.previousCpu ? cpuUsagePercent(this.previousCpu, cpu) : 0;
    this.previousCpu = cpu;
    return {
      CPU_Usage: round(usage, 2),
      memory: memAvailableKb(parseMeminfo(meminfo)),
    };
  }

  private read(name: string): Promise<string> {
    return readFile(join(this.procRoot, name), 'utf8');
  }
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
