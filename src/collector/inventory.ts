import si from 'systeminformation';

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
  const [system, os, cpu, mem] = await Promise.all([si.system(), si.osInfo(), si.cpu(), si.mem()]);
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
