import { statfs } from 'node:fs';
import { promisify } from 'node:util';

// Callback fs, promisified: node:fs/promises would load Node's readline and
// file-watcher modules into the agent for this one call (docs/PERFORMANCE.md).
const statfsAsync = promisify(statfs);

/** Used space of a filesystem in %, computed as df does: used / (used + available to users). */
export function diskUsedPercent(stats: { blocks: number; bfree: number; bavail: number }): number {
  const used = stats.blocks - stats.bfree;
  const usable = used + stats.bavail;
  return usable > 0 ? (used / usable) * 100 : 0;
}

/**
 * Root filesystem usage through statfs(2): no `df` process. Disk usage moves
 * slowly, so the figure is refreshed at most once per `maxAgeMs`.
 */
export class DiskUsage {
  private cached: { percent: number; at: number } | undefined;

  constructor(
    private readonly path: string,
    private readonly maxAgeMs: number,
  ) {}

  async percent(now: number): Promise<number> {
    if (this.cached && now - this.cached.at < this.maxAgeMs) return this.cached.percent;
    const percent = diskUsedPercent(await statfsAsync(this.path));
    this.cached = { percent, at: now };
    return percent;
  }
}
