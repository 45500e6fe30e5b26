import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupLag } from '../../src/kafka/lag.js';

const ends = [
  { partition: 0, high: '100', low: '10' },
  { partition: 1, high: '50', low: '0' },
  { partition: 2, high: '7', low: '7' },
];

test('lag is what lies between the committed offset and the end, summed over partitions', () => {
  assert.equal(
    groupLag(ends, [
      { partition: 0, offset: '90' },
      { partition: 1, offset: '50' },
      { partition: 2, offset: '7' },
    ]),
    10,
  );
});

test('a partition never committed counts from its lowest offset', () => {
  assert.equal(groupLag(ends, [{ partition: 1, offset: '-1' }]), 90 + 50 + 0);
});

test('a floor (where the group started) is counted from when it is later', () => {
  assert.equal(
    groupLag(
      ends,
      [],
      new Map([
        [0, 95],
        [1, 40],
      ]),
    ),
    5 + 10 + 0,
  );
  assert.equal(groupLag(ends, [{ partition: 0, offset: '98' }], new Map([[0, 95]])), 2 + 50);
});
