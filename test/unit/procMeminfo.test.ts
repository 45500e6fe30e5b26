import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { memAvailableKb, parseMeminfo } from '../../src/collector/procMeminfo.js';
import { ProcParseError } from '../../src/collector/procStat.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/proc/${name}`, import.meta.url), 'utf8');

test('parseMeminfo reads every line of a Raspberry Pi 4 as kB, including names with parentheses', () => {
  const info = parseMeminfo(fixture('pi4/meminfo'));
  assert.equal(info.get('MemTotal'), 3884356);
  assert.equal(info.get('Active(anon)'), 1900);
  assert.equal(info.get('CmaFree'), 502820);
});

test('memAvailableKb takes MemAvailable when the kernel has it', () => {
  assert.equal(memAvailableKb(parseMeminfo(fixture('pi4/meminfo'))), 3391548);
});

test('memAvailableKb falls back to MemFree + Buffers + Cached on old kernels', () => {
  assert.equal(memAvailableKb(parseMeminfo(fixture('x86/meminfo-2.6'))), 512000 + 100000 + 300000);
});

test('memAvailableKb rejects text with no memory figures', () => {
  assert.throws(() => memAvailableKb(parseMeminfo('garbage\n')), ProcParseError);
});

test('parseMeminfo with `until` stops after those names, and reads on when one is missing', () => {
  const pi = parseMeminfo(fixture('pi4/meminfo'), ['MemTotal', 'MemAvailable']);
  assert.equal(pi.get('MemAvailable'), 3391548);
  assert.ok(pi.has('MemTotal'));
  assert.equal(pi.has('SwapTotal'), false, 'lines after MemAvailable are not read');
  const old = parseMeminfo(fixture('x86/meminfo-2.6'), ['MemTotal', 'MemAvailable']);
  assert.equal(memAvailableKb(old), 512000 + 100000 + 300000);
});
