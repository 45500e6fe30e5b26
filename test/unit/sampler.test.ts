import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Sampler } from '../../src/collector/sampler.js';

const fixtureDir = (path: string) => fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url));

test("Sampler reads a Raspberry Pi's /proc and /sys into the lab's fields", async () => {
  const proc = mkdtempSync(join(tmpdir(), 'tower-proc-'));
  cpSync(fixtureDir('proc/pi4'), proc, { recursive: true });
  writeFileSync(join(proc, 'stat'), 'cpu  100 0 100 800 0 0 0 0 0 0\n');
  const sampler = new Sampler({ procRoot: proc, sysRoot: fixtureDir('sys/pi4') });
  await sampler.prime();
  writeFileSync(join(proc, 'stat'), 'cpu  130 0 130 840 0 0 0 0 0 0\n');
  const fields = await sampler.sample();
  const { disk, ...rest } = fields;
  assert.deepEqual(rest, {
    CPU_Usage: 60,
    memory: 3391548,
    mem_used_percent: 12.69,
    load1: 0.52,
    rx: 193847261,
    rxError: 3,
    rx_dropped: 17,
    tx: 28374651,
    txError: 1,
    tx_dropped: 4,
    temp: 48.7,
  });
  assert.ok(disk !== undefined && disk >= 0 && disk <= 100);
});

test('Sampler leaves temp out on a board without a thermal zone', async () => {
  const sampler = new Sampler({ procRoot: fixtureDir('proc/pi4'), sysRoot: mkdtempSync(join(tmpdir(), 'tower-sys-')) });
  await sampler.prime();
  assert.equal((await sampler.sample()).temp, undefined);
});

test("Sampler reads this machine's /proc and reports values in range", async () => {
  const sampler = new Sampler();
  await sampler.prime();
  const fields = await sampler.sample();
  assert.ok(fields.CPU_Usage !== undefined && fields.CPU_Usage >= 0 && fields.CPU_Usage <= 100);
  assert.ok(fields.memory !== undefined && fields.memory > 0);
  assert.ok(fields.mem_used_percent !== undefined && fields.mem_used_percent > 0 && fields.mem_used_percent < 100);
});

test('a thermal zone that appears later (a driver loaded late) is found within a minute', async () => {
  const sys = mkdtempSync(join(tmpdir(), 'tower-sys-'));
  const sampler = new Sampler({ procRoot: fixtureDir('proc/pi4'), sysRoot: sys });
  await sampler.prime();
  const t0 = Date.now();
  assert.equal((await sampler.sample(t0)).temp, undefined);
  cpSync(fixtureDir('sys/pi4'), sys, { recursive: true });
  assert.equal((await sampler.sample(t0 + 1_000)).temp, undefined, 'not looked for again on every sample');
  assert.equal((await sampler.sample(t0 + 61_000)).temp, 48.7);
});

test('the interface follows the default route to another interface within a minute', async () => {
  const proc = mkdtempSync(join(tmpdir(), 'tower-proc-'));
  cpSync(fixtureDir('proc/pi4'), proc, { recursive: true });
  const sampler = new Sampler({ procRoot: proc, sysRoot: fixtureDir('sys/pi4') });
  await sampler.prime();
  const t0 = Date.now();
  assert.equal((await sampler.sample(t0)).tx, 28374651, 'wlan0, the default route');
  writeFileSync(join(proc, 'net/route'), 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\nlo\t00000000\t00000000\t0003\t0\t0\t0\t00000000\n');
  assert.equal((await sampler.sample(t0 + 1_000)).tx, 28374651, 'the routes are not read again on every sample');
  assert.equal((await sampler.sample(t0 + 61_000)).tx, 48213, 'lo, the new default route');
});

test('an interface that disappears is replaced at the next sample', async () => {
  const proc = mkdtempSync(join(tmpdir(), 'tower-proc-'));
  cpSync(fixtureDir('proc/pi4'), proc, { recursive: true });
  const sampler = new Sampler({ procRoot: proc, sysRoot: fixtureDir('sys/pi4') });
  await sampler.prime();
  const t0 = Date.now();
  assert.equal((await sampler.sample(t0)).tx, 28374651);
  const netDev = join(proc, 'net/dev');
  writeFileSync(netDev, readFileSync(netDev, 'utf8').replace(/^ wlan0:.*\n/m, ''));
  assert.equal((await sampler.sample(t0 + 1_000)).tx, undefined, 'no counters while wlan0 is gone');
  assert.equal((await sampler.sample(t0 + 2_000)).tx, 0, 'then eth0, the first that is not loopback');
});
