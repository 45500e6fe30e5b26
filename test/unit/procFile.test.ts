import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ProcFile } from '../../src/collector/procFile.js';

test('ProcFile reads live procfs files whole, again on every read', () => {
  for (const name of ['/proc/stat', '/proc/meminfo', '/proc/net/dev', '/proc/self/maps']) {
    const file = new ProcFile(name);
    const first = file.read();
    assert.ok(first.length > 0, name);
    // The text changes between reads, but its shape does not: same first line, whole last line.
    assert.equal(first.split('\n')[0]?.split(/\s/)[0], readFileSync(name, 'utf8').split('\n')[0]?.split(/\s/)[0], name);
    assert.ok(file.read().endsWith('\n'), name);
  }
});

test('ProcFile reads a file larger than its first buffer whole, and sees it change', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'tower-procfile-')), 'big');
  const big = 'x'.repeat(40 * 1024 + 7);
  writeFileSync(path, big);
  const file = new ProcFile(path);
  assert.equal(file.read(), big);
  writeFileSync(path, 'small\n');
  assert.equal(file.read(), 'small\n');
});
