import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DiskUsage, diskUsedPercent } from '../../src/collector/disk.js';
import { parseLoad1 } from '../../src/collector/procLoadavg.js';
import { choosePrimaryInterface, defaultRouteInterface, netDevCounters, parseNetDev } from '../../src/collector/procNet.js';
import { ProcParseError } from '../../src/collector/procStat.js';
import { parseThermalMilliC } from '../../src/collector/thermal.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/proc/pi4/${name}`, import.meta.url), 'utf8');

test("parseNetDev maps a Raspberry Pi's wlan0 columns to the lab's field names", () => {
  const wlan0 = parseNetDev(fixture('net/dev')).get('wlan0');
  assert.deepEqual(wlan0, { rx: 193847261, rxError: 3, rx_dropped: 17, tx: 28374651, txError: 1, tx_dropped: 4 });
});

test('parseNetDev rejects a truncated interface line', () => {
  assert.throws(() => parseNetDev('  eth0: 1 2 3\n'), ProcParseError);
});

test('netDevCounters reads one interface as parseNetDev reads them all, on a Pi and on this machine', () => {
  for (const [machine, text] of [
    ['pi4', fixture('net/dev')],
    ['this machine', readFileSync('/proc/net/dev', 'utf8')],
  ] as const) {
    const all = parseNetDev(text);
    assert.ok(all.size >= 2, machine);
    for (const [name, counters] of all) assert.deepEqual(netDevCounters(text, name), counters, `${machine} ${name}`);
    assert.equal(netDevCounters(text, 'usb9'), undefined);
  }
});

test('netDevCounters does not take a name that only ends like the one asked for', () => {
  const text = 'Inter-|   Receive\n face |bytes\n veth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n';
  assert.equal(netDevCounters(text, 'eth0'), undefined);
  assert.equal(netDevCounters(text, 'veth0')?.tx, 9);
});

test('netDevCounters rejects a truncated line of the interface it reads', () => {
  assert.throws(() => netDevCounters('  eth0: 1 2 3\n', 'eth0'), ProcParseError);
});

test("the primary interface is the default route's, else the first that is not loopback", () => {
  const route = fixture('net/route');
  assert.equal(defaultRouteInterface(route), 'wlan0');
  assert.equal(choosePrimaryInterface(['lo', 'eth0', 'wlan0'], route), 'wlan0');
  assert.equal(choosePrimaryInterface(['lo', 'eth0', 'wlan0'], ''), 'eth0');
  assert.equal(choosePrimaryInterface(['lo', 'eth0'], route, 'eth0'), 'eth0');
  assert.equal(choosePrimaryInterface(['lo', 'eth0'], route, 'usb0'), undefined);
});

test('parseLoad1 takes the first column of /proc/loadavg', () => {
  assert.equal(parseLoad1(fixture('loadavg')), 0.52);
  assert.throws(() => parseLoad1('x y z'), ProcParseError);
});

test('thermal zone millidegrees become °C with one decimal; empty text is no reading', () => {
  assert.equal(parseThermalMilliC('48686\n'), 48.7);
  assert.equal(parseThermalMilliC(''), undefined);
  assert.equal(parseThermalMilliC('n/a'), undefined);
});

test('disk used % counts space reserved for root as df does', () => {
  assert.equal(diskUsedPercent({ blocks: 1000, bfree: 300, bavail: 200 }), (700 / 900) * 100);
  assert.equal(diskUsedPercent({ blocks: 0, bfree: 0, bavail: 0 }), 0);
});

test('DiskUsage reads the live root filesystem through statfs and keeps the figure for maxAgeMs', async () => {
  const disk = new DiskUsage('/', 60_000);
  const percent = await disk.percent(1_000);
  assert.ok(percent > 0 && percent <= 100, `root filesystem ${percent} % used`);
  assert.equal(await disk.percent(30_000), percent);
  await assert.rejects(new DiskUsage('/no/such/dir', 0).percent(0), { code: 'ENOENT' });
});
