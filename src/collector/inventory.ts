import { cpu as readCpu } from 'systeminformation/lib/cpu.js';
import { mem as readMem } from 'systeminformation/lib/memory.js';
import { osInfo as readOsInfo } from 'systeminformation/lib/osinfo.js';
import { system as readSystem } from 'systeminformation/lib/system.js';

/** What the machine is, read once at start-up (systeminformation may run helper commands for this). */
export interface Inventory {
  model: string;
  os: string;
  kernel: string;
  arch: string;
  cpu: string;
  cores: number;
  memTotalKb: number;
}

export async function readInventory(): Promise<Inventory> {
  const [system, os, cpu, mem] = await Promise.all([readSystem(), readOsInfo(), readCpu(), readMem()]);
  return {
    model: [system.manufacturer, system.model].filter(Boolean).join(' ').trim(),
    os: `${os.distro} ${os.release}`.trim(),
    kernel: os.kernel,
    arch: os.arch,
    cpu: `${cpu.manufacturer} ${cpu.brand}`.trim(),
    cores: cpu.cores,
    memTotalKb: Math.round(mem.total / 1024),
  };
}
