import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serializeError } from '../../src/log.js';

// What a minifier makes of `class ScheduleError extends Error { name = 'ScheduleError' }`.
class Qx extends Error {
  override name = 'ScheduleError';
}

test('an error is logged with the type its name gives, not its (minified) class name', () => {
  const logged = serializeError(new Qx('every field is invalid')) as { type: string; message: string; stack: string };
  assert.equal(logged.type, 'ScheduleError');
  assert.equal(logged.message, 'every field is invalid');
  assert.match(logged.stack, /every field is invalid/);
});

test('a thrown value that is not an Error is logged as it is', () => {
  assert.equal(serializeError('a string'), 'a string');
});
