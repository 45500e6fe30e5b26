import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Fields } from '../schema/sample.js';
import { DiskUsage } from './disk.js';
import { parseLoad1 } from './procLoadavg.js';
import { memAvailableKb, parseMeminfo } from './procMeminfo.js';
import { choosePrimaryInterface, parseNetDev } from './procNet.js';
import { type CpuTimes, cpuUsagePercent, parseProcStat } from './procStat.js';
import { parseThermalMilliC } from './thermal.js';

export interface SamplerOptions {
  /** Where procfs is mounted. Default `/proc`; tests point it at captured files. */
  procRoot?: string;
  /** Where sysfs is mounted. Default `/sys`. */
  sysRoot?: string;
  /** Interface whose counters are reported. Default: the default route's. */
  networkInterface?: string;
  /** Filesystem whose usage is `disk`. Default `/`. */
  diskPath?: string;
  /** How long a disk figure is reused, ms. Default 60 000. */
  diskMaxAgeMs?: number;
}

/**
 * Reads the machine's metrics straight from procfs and sysfs: no child
 * process, no shell. CPU_Usage is measured between consecutive calls of
 * `sample()`, so the first reading is taken by `prime()`.
 */
export class Sampler {
  private readonly procRoot: string;
  private readonly sysRoot: string;
  private readonly disk: DiskUsage;
  private previousCpu: CpuTimes | undefined;

  constructor(private readonly options: SamplerOptions = {}) {
    this.procRoot = options.procRoot ?? '/proc';
    this.sysRoot = options.sysRoot ?? '/sys';
    this.disk = new DiskUsage(options.diskPath ?? '/', options.diskMaxAgeMs ?? 60_000);
  }

  async prime(): Promise<void> {
    this.previousCpu = parseProcStat(await this.read(this.procRoot, 'stat'));
  }

  async sample(now = Date.now()): Promise<Fields> {
    const [stat, meminfo, loadavg, netDev, route, thermal, disk] = await Promise.all([
      this.read(this.procRoot, 'stat'),
      this.read(this.procRoot, 'meminfo'),
      this.read(this.procRoot, 'loadavg'),
      this.read(this.procRoot, 'net/dev'),
      this.readOptional(this.procRoot, 'net/route'),
      this.readOptional(this.sysRoot, 'class/thermal/thermal_zone0/temp'),
      this.disk.percent(now),
    ]);
    const fields: Fields = {
      CPU_Usage: round(this.cpuUsage(parseProcStat(stat)), 2),
      ...memoryFields(meminfo),
      load1: parseLoad1(loadavg),
      ...this.networkFields(netDev, route ?? ''),
      disk: round(disk, 2),
    };
    const temp = thermal === undefined ? undefined : parseThermalMilliC(thermal);
    if (temp !== undefined) fields.temp = temp;
    return fields;
  }

  private cpuUsage(cpu: CpuTimes): number {
    const usage = this.previousCpu ? cpuUsagePercent(this.previousCpu, cpu) : 0;
    this.previousCpu = cpu;
    return usage;
  }

  private networkFields(netDev: string, route: string): Fields {
    const interfaces = parseNetDev(netDev);
    const name = choosePrimaryInterface([...interfaces.keys()], route, this.options.networkInterface);
    const counters = name === undefined ? undefined : interfaces.get(name);
    return counters ? { ...counters } : {};
  }

  private read(root: string, name: string): Promise<string> {
    return readFile(join(root, name), 'utf8');
  }

  private async readOptional(root: string, name: string): Promise<string | undefined> {
    try {
      return await this.read(root, name);
    } catch {
      return undefined;
    }
  }
}

function memoryFields(meminfo: string): Fields {
  const info = parseMeminfo(meminfo);
  const available = memAvailableKb(info);
  const total = info.get('MemTotal');
  const fields: Fields = { memory: available };
  if (total) fields.mem_used_percent = round(((total - available) / total) * 100, 2);
  return fields;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
