import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { cpuName, osName, readInventory } from '../../src/collector/inventory.js';

const PI4_CPUINFO = `processor\t: 0
BogoMIPS\t: 108.00
Features\t: fp asimd evtstrm crc32 cpuid
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x0
CPU part\t: 0xd08
CPU revision\t: 3

Revision\t: c03114
Model\t\t: Raspberry Pi 4 Model B Rev 1.4
`;

test('cpuName names a Pi 4 core from its CPU part and takes x86 model names as they are', () => {
  assert.equal(cpuName(PI4_CPUINFO), 'ARM Cortex-A72');
  assert.equal(cpuName('processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n'), 'AMD EPYC 7B13');
  assert.equal(cpuName('model name\t: ARMv7 Processor rev 4 (v7l)\nCPU part\t: 0xd03\n'), 'ARM Cortex-A53');
  assert.equal(cpuName('CPU part\t: 0xd44\n'), 'ARM part 0xd44');
});

test('osName reads NAME and VERSION_ID, quoted or not', () => {
  assert.equal(osName('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'), 'Debian GNU/Linux 12');
  assert.equal(osName('NAME=Alpine\nVERSION_ID=3.20.1\n'), 'Alpine 3.20.1');
  assert.equal(osName(''), '');
});

test("readInventory reads a Pi's device-tree model, and this machine's inventory", async () => {
  const root = mkdtempSync(join(tmpdir(), 'tower-inventory-'));
  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  put('sys/firmware/devicetree/base/model', 'Raspberry Pi 4 Model B Rev 1.4\0');
  put('proc/cpuinfo', PI4_CPUINFO);
  put('etc/os-release', 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\n');
  const pi = await readInventory({ proc: join(root, 'proc'), sys: join(root, 'sys'), etc: join(root, 'etc') });
  assert.equal(pi.model, 'Raspberry Pi 4 Model B Rev 1.4');
  assert.equal(pi.cpu, 'ARM Cortex-A72');
  assert.equal(pi.os, 'Debian GNU/Linux 12');
  const here = await readInventory();
  assert.ok(here.cores >= 1 && here.memTotalKb > 0 && here.kernel.length > 0, JSON.stringify(here));
});
