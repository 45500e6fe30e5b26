import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface HeapCompacted {
  heapUsedBeforeMb: number;
  heapUsedAfterMb: number;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 100) / 100;

/**
 * Run once, after start-up: most of what the agent compiled to start (argument
 * parsing, config, connecting) never runs again, yet V8 keeps its bytecode
 * until it has aged through five full GCs, and the start-up garbage leaves
 * heap pages half full. Three full GCs that flush all bytecode not running and
 * compact the heap give about 1 MB of RSS back for good; the sampling path is
 * compiled again at its next run (docs/PERFORMANCE.md). The flags are V8's
 * defaults again afterwards, and `gc` is never global.
 */
export function compactHeap(): HeapCompacted {
  const before = process.memoryUsage().heapUsed;
  setFlagsFromString('--bytecode-old-age=1');
  setFlagsFromString('--compact-on-every-full-gc');
  setFlagsFromString('--expose-gc');
  try {
    // A new context installs the gc extension the flag now allows, in that context only.
    const gc = runInNewContext('gc') as () => void;
    for (let i = 0; i < 3; i += 1) gc();
  } finally {
    setFlagsFromString('--no-expose-gc');
    setFlagsFromString('--no-compact-on-every-full-gc');
    setFlagsFromString('--bytecode-old-age=5');
  }
  return { heapUsedBeforeMb: mb(before), heapUsedAfterMb: mb(process.memoryUsage().heapUsed) };
}
