import { join } from 'node:path';
import type { Fields } from '../schema/sample.js';
import { DiskUsage } from './disk.js';
import { ProcFile } from './procFile.js';
import { parseLoad1 } from './procLoadavg.js';
import { memAvailableKb, parseMeminfo, SAMPLE_MEMINFO } from './procMeminfo.js';
import { choosePrimaryInterface, netDevCounters, parseNetDev } from './procNet.js';
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
  /** How long the choice of interface is kept before the routes are read again, ms. Default 60 000. */
  interfaceMaxAgeMs?: number;
}

/**
 * Reads the machine's metrics straight from procfs and sysfs: no child
 * process, no shell. CPU_Usage is measured between consecutive calls of
 * `sample()`, so the first reading is taken by `prime()`.
 */
export class Sampler {
  private readonly disk: DiskUsage;
  private readonly files: Record<'stat' | 'meminfo' | 'loadavg' | 'netDev' | 'route' | 'thermal', ProcFile>;
  private previousCpu: CpuTimes | undefined;
  private primary: { name: string | undefined; at: number } | undefined;

  constructor(private readonly options: SamplerOptions = {}) {
    const proc = (name: string) => new ProcFile(join(options.procRoot ?? '/proc', name));
    this.files = {
      stat: proc('stat'),
      meminfo: proc('meminfo'),
      loadavg: proc('loadavg'),
      netDev: proc('net/dev'),
      route: proc('net/route'),
      thermal: new ProcFile(join(options.sysRoot ?? '/sys', 'class/thermal/thermal_zone0/temp')),
    };
    this.disk = new DiskUsage(options.diskPath ?? '/', options.diskMaxAgeMs ?? 60_000);
  }

  async prime(): Promise<void> {
    this.previousCpu = parseProcStat(this.files.stat.read());
  }

  async sample(now = Date.now()): Promise<Fields> {
    const f = this.files;
    const thermal = f.thermal.readOptional(now);
    const fields: Fields = {
      CPU_Usage: round(this.cpuUsage(parseProcStat(f.stat.read())), 2),
      ...memoryFields(f.meminfo.read()),
      load1: parseLoad1(f.loadavg.read()),
      ...this.networkFields(f.netDev.read(), now),
      disk: round(await this.disk.percent(now), 2),
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

  private networkFields(netDev: string, now: number): Fields {
    const name = this.primaryInterface(netDev, now);
    const counters = name === undefined ? undefined : netDevCounters(netDev, name);
    // An interface that went away (a USB adapter pulled) is chosen again at the next sample.
    if (!counters) this.primary = undefined;
    return counters ? { ...counters } : {};
  }

  /** The default route moves rarely: the routes are read once a minute, not every second. */
  private primaryInterface(netDev: string, now: number): string | undefined {
    if (this.primary && now - this.primary.at < (this.options.interfaceMaxAgeMs ?? 60_000)) return this.primary.name;
    const names = [...parseNetDev(netDev).keys()];
    const name = choosePrimaryInterface(names, this.files.route.readOptional(now) ?? '', this.options.networkInterface);
    this.primary = { name, at: now };
    return name;
  }
}

function memoryFields(meminfo: string): Fields {
  const info = parseMeminfo(meminfo, SAMPLE_MEMINFO);
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
