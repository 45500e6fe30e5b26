import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryRetriable } from '../../src/retry/retriable.js';

const retriable = (message: string) => Object.assign(new Error(message), { retriable: true });

test('a retriable Kafka error is asked again until the answer comes', async () => {
  let calls = 0;
  const result = await retryRetriable(
    async () => {
      calls += 1;
      if (calls < 3) throw retriable('This is not the correct coordinator for this group');
      return 'described';
    },
    5,
    1,
  );
  assert.equal(result, 'described');
  assert.equal(calls, 3);
});

test('any other error is thrown at once; a retriable one after the last attempt', async () => {
  let calls = 0;
  await assert.rejects(
    retryRetriable(
      async () => {
        calls += 1;
        throw new Error('bad credentials');
      },
      5,
      1,
    ),
    /bad credentials/,
  );
  assert.equal(calls, 1);
  calls = 0;
  await assert.rejects(
    retryRetriable(
      async () => {
        calls += 1;
        throw retriable('still loading');
      },
      3,
      1,
    ),
    /still loading/,
  );
  assert.equal(calls, 3);
});
