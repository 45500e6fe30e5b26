import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { Delivery } from '../../src/agent/delivery.js';
import type { RecordSender } from '../../src/agent/producer.js';
import { Spool } from '../../src/agent/spool.js';
import { backoffMs } from '../../src/retry/backoff.js';

/** A sender that refuses while `down` is true and records what it accepted. */
class SwitchableSender implements RecordSender {
  down = false;
  accepted: string[] = [];
  attempts = 0;
  async send(records: Uint8Array[]): Promise<void> {
    this.attempts += 1;
    if (this.down) throw new Error('broker unreachable');
    this.accepted.push(...records.map((r) => new TextDecoder().decode(r)));
  }
}

const silent = pino({ level: 'silent' });
const until = async (what: string, check: () => boolean) => {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

test('samples enqueued during an outage are sent in order once the sender recovers', async () => {
  const spool = new Spool(mkdtempSync(join(tmpdir(), 'tower-delivery-')));
  const sender = new SwitchableSender();
  const delivery = new Delivery(spool, sender, silent, { retryMinMs: 5, retryMaxMs: 20 });
  delivery.start();
  const enqueue = (n: number) => delivery.enqueue(new TextEncoder().encode(`s${n}`));
  enqueue(0);
  await until('first send', () => sender.accepted.length === 1);
  sender.down = true;
  for (let n = 1; n <= 20; n += 1) enqueue(n);
  await until('a few failed attempts', () => delivery.stats.sendErrors >= 3);
  assert.equal(spool.length, 20);
  sender.down = false;
  for (let n = 21; n <= 25; n += 1) enqueue(n);
  await until('backlog sent', () => sender.accepted.length === 26);
  assert.deepEqual(
    sender.accepted,
    Array.from({ length: 26 }, (_, n) => `s${n}`),
  );
  assert.equal(delivery.stats.sent, 26);
  assert.equal(spool.length, 0);
  await delivery.stop(1_000);
});

test('stop() returns while a send hangs, leaving its samples in the spool', async () => {
  const spool = new Spool(mkdtempSync(join(tmpdir(), 'tower-delivery-')));
  let sending = false;
  const hanging: RecordSender = { send: () => new Promise(() => (sending = true)) };
  const delivery = new Delivery(spool, hanging, silent);
  delivery.start();
  delivery.enqueue(new TextEncoder().encode('kept'));
  await until('the send', () => sending);
  // Something to keep the event loop alive meanwhile, as the agent's sockets do.
  const keepAlive = setTimeout(() => undefined, 5_000);
  const started = Date.now();
  await delivery.stop(200);
  clearTimeout(keepAlive);
  assert.ok(Date.now() - started < 1_000);
  assert.equal(spool.length, 1);
});

test('backoff doubles from the minimum up to the cap, jittered within its upper half', () => {
  const low = () => 0;
  const high = () => 1;
  assert.equal(backoffMs(1, 500, 30_000, low), 250);
  assert.equal(backoffMs(1, 500, 30_000, high), 500);
  assert.equal(backoffMs(4, 500, 30_000, high), 4_000);
  assert.equal(backoffMs(20, 500, 30_000, high), 30_000);
  assert.equal(backoffMs(20, 500, 30_000, low), 15_000);
});

/** A sender that records each request's records. */
class RequestLog implements RecordSender {
  requests: string[][] = [];
  async send(records: Uint8Array[]): Promise<void> {
    this.requests.push(records.map((r) => new TextDecoder().decode(r)));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('with lingerMs, samples taken close together share one produce request', async () => {
  const spool = new Spool(mkdtempSync(join(tmpdir(), 'tower-delivery-')));
  const sender = new RequestLog();
  const delivery = new Delivery(spool, sender, silent, { lingerMs: 300 });
  delivery.start();
  for (const n of [1, 2, 3]) {
    delivery.enqueue(new TextEncoder().encode(`s${n}`));
    await sleep(50);
  }
  assert.deepEqual(sender.requests, [], 'nothing is sent before the linger is over');
  await until('the batch', () => sender.requests.length === 1);
  assert.deepEqual(sender.requests, [['s1', 's2', 's3']]);
  await delivery.stop(1_000);
});

test('without lingerMs, each sample goes in a request of its own', async () => {
  const spool = new Spool(mkdtempSync(join(tmpdir(), 'tower-delivery-')));
  const sender = new RequestLog();
  const delivery = new Delivery(spool, sender, silent);
  delivery.start();
  for (const n of [1, 2]) {
    delivery.enqueue(new TextEncoder().encode(`s${n}`));
    await until(`s${n}`, () => sender.requests.length === n);
  }
  assert.deepEqual(sender.requests, [['s1'], ['s2']]);
  await delivery.stop(1_000);
});

test('stop() sends the lingering samples at once instead of waiting out the linger', async () => {
  const spool = new Spool(mkdtempSync(join(tmpdir(), 'tower-delivery-')));
  const sender = new RequestLog();
  const delivery = new Delivery(spool, sender, silent, { lingerMs: 60_000 });
  delivery.start();
  delivery.enqueue(new TextEncoder().encode('last'));
  await sleep(20);
  const started = Date.now();
  await delivery.stop(1_000);
  assert.ok(Date.now() - started < 500, `stop took ${Date.now() - started} ms`);
  assert.deepEqual(sender.requests, [['last']]);
  assert.equal(spool.length, 0);
});

test('a backlog found in the spool at start is sent at once, not after a linger', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tower-delivery-'));
  new Spool(dir).append([new TextEncoder().encode('from before the restart')]);
  const sender = new RequestLog();
  const delivery = new Delivery(new Spool(dir), sender, silent, { lingerMs: 60_000 });
  delivery.start();
  await until('the backlog', () => sender.requests.length === 1);
  assert.deepEqual(sender.requests, [['from before the restart']]);
  await delivery.stop(1_000);
});
