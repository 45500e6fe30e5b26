import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { cpuUsagePercent, ProcParseError, parseProcStat } from '../../src/collector/procStat.js';

const piStat = readFileSync(new URL('../fixtures/proc/pi4/stat', import.meta.url), 'utf8');

test('parseProcStat sums the aggregate cpu line of a Raspberry Pi 4', () => {
  const cpu = parseProcStat(piStat);
  const total = 102938 + 1203 + 40293 + 3829384 + 10293 + 0 + 2039 + 0;
  assert.equal(cpu.total, total);
  assert.equal(cpu.busy, total - 3829384 - 10293);
});

test('parseProcStat leaves guest time out, since user already counts it', () => {
  const withGuest = parseProcStat('cpu  100 0 50 800 50 0 0 0 40 10\n');
  assert.deepEqual(withGuest, { busy: 150, total: 1000 });
});

test('parseProcStat rejects text without an aggregate cpu line', () => {
  assert.throws(() => parseProcStat('cpu0 1 2 3 4\n'), ProcParseError);
  assert.throws(() => parseProcStat('cpu  a b c d\n'), ProcParseError);
});

test('cpuUsagePercent is busy ticks over total ticks between readings', () => {
  assert.equal(cpuUsagePercent({ busy: 100, total: 1000 }, { busy: 175, total: 1100 }), 75);
  assert.equal(cpuUsagePercent({ busy: 100, total: 1000 }, { busy: 100, total: 1100 }), 0);
});

test('cpuUsagePercent stays within 0–100 when counters do not move or go back', () => {
  assert.equal(cpuUsagePercent({ busy: 5, total: 10 }, { busy: 5, total: 10 }), 0);
  assert.equal(cpuUsagePercent({ busy: 50, total: 100 }, { busy: 10, total: 200 }), 0);
  assert.equal(cpuUsagePercent({ busy: 0, total: 100 }, { busy: 300, total: 200 }), 100);
});

test('parseProcStat reads only the aggregate line, wherever it is, whatever follows', () => {
  const later = parseProcStat(`intr 1 2 3\ncpu  10 0 5 80 5 0 0 0 0 0\ncpu0 1 2 3 4\n`);
  assert.deepEqual(later, { busy: 15, total: 100 });
  const last = parseProcStat('cpu0 1 2 3 4\ncpu  10 0 5 80 5 0 0 0');
  assert.deepEqual(last, { busy: 15, total: 100 });
});
