import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Sampler } from '../../src/collector/sampler.js';

test('Sampler measures CPU_Usage between two readings and reports MemAvailable', async () => {
  const proc = mkdtempSync(join(tmpdir(), 'tower-proc-'));
  cpSync(fileURLToPath(new URL('../fixtures/proc/pi4', import.meta.url)), proc, { recursive: true });
  writeFileSync(join(proc, 'stat'), 'cpu  100 0 100 800 0 0 0 0 0 0\n');
  const sampler = new Sampler({ procRoot: proc });
  await sampler.prime();
  writeFileSync(join(proc, 'stat'), 'cpu  130 0 130 840 0 0 0 0 0 0\n');
  assert.deepEqual(await sampler.sample(), { CPU_Usage: 60, memory: 3391548 });
});

test('Sampler reads this machine\'s /proc and reports values in range', async () => {
  const sampler = new Sampler();
  await sampler.prime();
  const fields = await sampler.sample();
  assert.ok(fields.CPU_Usage !== undefined && fields.CPU_Usage >= 0 && fields.CPU_Usage <= 100);
  assert.ok(fields.memory !== undefined && fields.memory > 0);
});
