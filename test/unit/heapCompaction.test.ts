import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runInNewContext } from 'node:vm';
import { compactHeap } from '../../src/agent/heapCompaction.js';

test('compactHeap collects garbage: heap use falls by the garbage made before it', () => {
  let garbage: { i: number; s: string }[] | undefined = Array.from({ length: 200_000 }, (_, i) => ({ i, s: `item ${i}` }));
  assert.equal(garbage.length, 200_000);
  garbage = undefined;
  const { heapUsedBeforeMb, heapUsedAfterMb } = compactHeap();
  assert.ok(heapUsedBeforeMb - heapUsedAfterMb > 5, `heap used ${heapUsedBeforeMb} MB before, ${heapUsedAfterMb} MB after`);
});

test('afterwards gc is neither global nor given to new contexts, and a second run works', () => {
  compactHeap();
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
  assert.equal(runInNewContext('typeof gc'), 'undefined', '--expose-gc is off again');
  const again = compactHeap();
  assert.ok(again.heapUsedAfterMb > 0);
});

test('code compiled before it still runs after its bytecode is flushed', () => {
  const square = (n: number) => n * n;
  assert.equal(square(7), 49);
  compactHeap();
  assert.equal(square(8), 64);
});
