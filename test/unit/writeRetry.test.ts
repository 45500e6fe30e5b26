import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InfluxConfigError, WriteAbandoned, writeWithRetry } from '../../src/consumer/pipeline/writeRetry.js';
import { LineBatch } from '../../src/influx/lineBatch.js';
import { InfluxError as InfluxWriteError, parseRetryAfter } from '../../src/influx/request.js';

/** Plays back a list of answers, one per write call, and records what each call carried. */
function scriptedWrite(answers: (Error | 'ok')[]) {
  const calls: string[][] = [];
  const write = async (lines: LineBatch) => {
    calls.push(linesOf(lines));
    const answer = answers.shift() ?? 'ok';
    if (answer !== 'ok') throw answer;
  };
  return { write, calls };
}

const linesOf = (batch: LineBatch) => Array.from({ length: batch.count }, (_, i) => batch.line(i));
const http = (status: number, retryAfterS?: number) => new InfluxWriteError(`HTTP ${status}`, status, `{"code":"${status}"}`, retryAfterS);
const noSleep = { sleep: async () => undefined };

test('network errors, 429 and 5xx are retried until the write goes through', async () => {
  const { write, calls } = scriptedWrite([new TypeError('fetch failed'), http(429), http(503), 'ok']);
  const retries: number[] = [];
  const outcome = await writeWithRetry(write, LineBatch.of(['a', 'b']), { ...noSleep, onRetry: (_e, n) => retries.push(n) });
  assert.deepEqual(outcome.rejected, []);
  assert.equal(calls.length, 4);
  assert.deepEqual(retries, [1, 2, 3]);
});

test('Retry-After is honoured in seconds', async () => {
  const waits: number[] = [];
  const { write } = scriptedWrite([http(429, 7), 'ok']);
  await writeWithRetry(write, LineBatch.of(['a']), { retryMinMs: 10, retryMaxMs: 20, sleep: async (ms) => void waits.push(ms) });
  assert.deepEqual(waits, [7_000]);
  assert.equal(parseRetryAfter('120'), 120);
  const fromDate = parseRetryAfter(new Date(Date.now() + 30_000).toUTCString());
  assert.ok(fromDate !== undefined && fromDate >= 29 && fromDate <= 31, `HTTP date gave ${fromDate}`);
  assert.equal(parseRetryAfter(null), undefined);
});

test('401, 403 and 404 stop with an error that names the setting to fix', async () => {
  for (const [status, setting] of [
    [401, /TOWER_INFLUX_TOKEN/],
    [403, /write permission/],
    [404, /--influx-bucket/],
  ] as const) {
    const { write } = scriptedWrite([http(status)]);
    await assert.rejects(writeWithRetry(write, LineBatch.of(['a']), noSleep), (err: Error) => err instanceof InfluxConfigError && setting.test(err.message));
  }
});

test('a 400 batch is split until only the bad lines are refused; the good lines are written', async () => {
  const written: string[] = [];
  const write = async (batch: LineBatch) => {
    const lines = linesOf(batch);
    assert.equal(batch.bytes.toString(), lines.map((l) => `${l}\n`).join(''), 'the body is the lines, each ending in a newline');
    if (lines.some((l) => l.startsWith('bad'))) throw http(400);
    written.push(...lines);
  };
  const lines = ['g1', 'g2', 'bad1', 'g3', 'g4', 'g5', 'bad2', 'g6'];
  const outcome = await writeWithRetry(write, LineBatch.of(lines), noSleep);
  assert.deepEqual(
    outcome.rejected.map((r) => [r.index, r.line]),
    [
      [2, 'bad1'],
      [6, 'bad2'],
    ],
  );
  assert.match(outcome.rejected[0]?.reason ?? '', /HTTP 400/);
  assert.deepEqual(written.sort(), ['g1', 'g2', 'g3', 'g4', 'g5', 'g6']);
});

test('retrying stops when keepGoing says so (partition revoked, sink stopping)', async () => {
  const { write } = scriptedWrite([http(503), http(503), http(503)]);
  let checks = 0;
  await assert.rejects(writeWithRetry(write, LineBatch.of(['a']), { ...noSleep, keepGoing: async () => ++checks < 2 }), WriteAbandoned);
});
