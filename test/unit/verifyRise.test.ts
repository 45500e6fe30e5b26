import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeRise, movingAverage, renderVerdict, sparkline } from '../../src/consumer/verify/verifyRise.js';

const readings = (values: number[]) => values.map((value, i) => ({ time: i * 1000, value }));

test('a sustained rise above the baseline passes', () => {
  const verdict = judgeRise(readings([5, 6, 4, 5]), readings([5, 30, 31, 29, 30]), 20);
  assert.equal(verdict.pass, true);
  assert.equal(verdict.baseline, 5);
  assert.equal(verdict.peak, 30);
});

test('one spike is not a rise; a flat series fails; no baseline fails', () => {
  assert.equal(judgeRise(readings([5, 5, 5]), readings([5, 90, 5, 5, 5]), 40).pass, false);
  assert.equal(judgeRise(readings([5, 5, 5]), readings([6, 5, 7, 6]), 20).pass, false);
  assert.equal(judgeRise([], readings([50, 50, 50]), 20).pass, false);
  assert.equal(judgeRise(readings([5]), [], 20).pass, false);
});

test('moving average and sparkline', () => {
  assert.deepEqual(movingAverage([1, 2, 3, 4], 3), [2, 3]);
  assert.deepEqual(movingAverage([4, 6], 3), [5]);
  assert.equal(sparkline([0, 50, 100]), '▁▅█');
});

test('the report says PASS or FAIL with the numbers', () => {
  const verdict = judgeRise(readings([5, 5, 5]), readings([30, 30, 30]), 20);
  assert.match(renderVerdict('pi-1', verdict, [5, 5, 30]), /^PASS {2}CPU_Usage of pi-1: baseline 5\.0%, peak 30\.0%.*rise 25\.0 points, needed 20\n {6}▁▁▃/);
});
