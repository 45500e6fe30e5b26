import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { crc32, crc32InJs } from '../../src/agent/crc32.js';

test('CRC-32 of the standard check string, in JavaScript and as the spool uses it', () => {
  assert.equal(crc32InJs(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32InJs(new Uint8Array(0)), 0);
});

test('the JavaScript CRC-32 agrees with the one the spool uses on random records', () => {
  for (let length = 1; length < 600; length += 37) {
    const bytes = randomBytes(length);
    assert.equal(crc32InJs(bytes), crc32(bytes), `length ${length}`);
  }
});
