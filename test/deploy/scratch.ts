import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/** A maker of temporary directories named `<prefix>-<tag>-…`, all removed after the calling file's tests. */
export function scratchDirs(prefix: string): (tag: string) => string {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return (tag) => {
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-${tag}-`));
    dirs.push(dir);
    return dir;
  };
}
