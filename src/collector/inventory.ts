import { readFileSync } from 'node:fs';
import { arch, availableParallelism, release, totalmem } from 'node:os';
import { join } from 'node:path';

/** What the machine is, read once at start-up from /proc, /sys and /etc, starting no process. */
export interface Inventory {
  model: string;
  os: string;
  kernel: string;
  arch: string;
  cpu: string;
  cores: number;
  memTotalKb: number;
}

/** Where the files are read from; tests point these at captured copies. */
export interface InventoryRoots {
  /** Default `/proc`. */
  proc?: string;
  /** Default `/sys`. */
  sys?: string;
  /** Default `/etc`. */
  etc?: string;
}

/** The ARM cores of the Raspberry Pi boards, by the `CPU part` of /proc/cpuinfo (ARM's main ID register). */
const ARM_PARTS: Readonly<Record<string, string>> = {
  '0xb76': 'ARM1176',
  '0xc07': 'Cortex-A7',
  '0xd03': 'Cortex-A53',
  '0xd08': 'Cortex-A72',
  '0xd0b': 'Cortex-A76',
};

export async function readInventory(roots: InventoryRoots = {}): Promise<Inventory> {
  const { proc = '/proc', sys = '/sys', etc = '/etc' } = roots;
  const cpuinfo = readText(join(proc, 'cpuinfo'));
  return {
    model: boardModel(sys),
    os: osName(readText(join(etc, 'os-release'))),
    kernel: release(),
    arch: arch(),
    cpu: cpuName(cpuinfo),
    cores: availableParallelism(),
    memTotalKb: Math.round(totalmem() / 1024),
  };
}

/** The device tree's model on a Pi ("Raspberry Pi 4 Model B Rev 1.4"), else the firmware's vendor and product. */
function boardModel(sys: string): string {
  const deviceTree = readText(join(sys, 'firmware/devicetree/base/model')).replace(/\0/g, '');
  if (deviceTree) return deviceTree.trim();
  return [readText(join(sys, 'class/dmi/id/sys_vendor')), readText(join(sys, 'class/dmi/id/product_name'))]
    .map((part) => part.trim())
    .filter(Boolean)
    .join(' ');
}

/** NAME and VERSION_ID of os-release(5), e.g. "Debian GNU/Linux 12". */
export function osName(osRelease: string): string {
  const value = (key: string) => new RegExp(`^${key}=("?)(.*)\\1$`, 'm').exec(osRelease)?.[2] ?? '';
  return `${value('NAME')} ${value('VERSION_ID')}`.trim();
}

/** x86's "model name", or an ARM core named from its implementer and part. */
export function cpuName(cpuinfo: string): string {
  const value = (key: string) => new RegExp(`^${key}\\s*:\\s*(.*)$`, 'm').exec(cpuinfo)?.[1]?.trim() ?? '';
  const model = value('model name');
  if (model && !/^ARMv/.test(model)) return model;
  const part = value('CPU part');
  if (part) return `ARM ${ARM_PARTS[part] ?? `part ${part}`}`;
  return model;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
