// The kafkajs request queue as patched by src/kafka/requestQueuePatch.ts, run
// for real (the kafkajs class, no broker): no timer while idle, and a request
// that gets no answer still times out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';
import { patchKafkajsRequestQueue } from '../../src/kafka/requestQueuePatch.js';

patchKafkajsRequestQueue();

interface Queue {
  requestTimeoutIntervalId: unknown;
  throttleCheckTimeoutId: unknown;
  scheduleRequestTimeoutCheck(): void;
  push(request: unknown): void;
  fulfillRequest(response: { correlationId: number; payload: unknown; size: number }): void;
  destroy(): void;
}

const Queue = RequestQueue as unknown as new (options: object) => Queue;
const silent = { debug: () => undefined, warn: () => undefined, error: () => undefined, info: () => undefined };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function connectedQueue(requestTimeout: number): Queue {
  const queue = new Queue({ requestTimeout, enforceRequestTimeout: true, maxInFlightRequests: null, clientId: 'test', broker: 'b:1', logger: silent });
  queue.scheduleRequestTimeoutCheck(); // what a connection does when it connects
  return queue;
}

function request(correlationId: number) {
  let settle: (outcome: string) => void = () => undefined;
  const outcome = new Promise<string>((resolve) => (settle = resolve));
  const entry = {
    correlationId,
    apiName: 'Produce',
    apiKey: 0,
    apiVersion: 3,
    resolve: () => settle('answered'),
    reject: (err: Error) => settle(`${err.name}: ${err.message}`),
  };
  return { pushed: { entry, expectResponse: true, sendRequest: () => undefined, requestTimeout: 0 }, outcome };
}

test('an idle connection keeps no timer running', () => {
  const queue = connectedQueue(30_000);
  assert.equal(queue.requestTimeoutIntervalId, null);
  assert.equal(queue.throttleCheckTimeoutId, null);
});

test('a request that gets no answer still times out, and the check stops afterwards', async () => {
  const queue = connectedQueue(50);
  const { pushed, outcome } = request(1);
  queue.push(pushed);
  assert.notEqual(queue.requestTimeoutIntervalId, null, 'the timeout check runs while a request is in flight');
  const result = await Promise.race([outcome, sleep(10_000).then(() => 'still waiting after 10 s')]);
  assert.match(result, /KafkaJSRequestTimeoutError: Request Produce\(key: 0, version: 3\) timed out/);
  // The check stops itself on its next run; a busy machine may run it late.
  for (const deadline = Date.now() + 5_000; queue.requestTimeoutIntervalId !== null && Date.now() < deadline; ) await sleep(20);
  assert.equal(queue.requestTimeoutIntervalId, null);
  queue.destroy();
});

test('the last answer stops the check at once; the next request starts it again', async () => {
  const queue = connectedQueue(30_000);
  const first = request(1);
  const other = request(3);
  queue.push(first.pushed);
  queue.push(other.pushed);
  queue.fulfillRequest({ correlationId: 1, payload: null, size: 0 });
  assert.notEqual(queue.requestTimeoutIntervalId, null, 'a request is still in flight');
  queue.fulfillRequest({ correlationId: 3, payload: null, size: 0 });
  assert.equal(queue.requestTimeoutIntervalId, null, 'nothing in flight: no check left to wake the process');
  assert.equal(await first.outcome, 'answered');
  assert.equal(await other.outcome, 'answered');
  const second = request(2);
  queue.push(second.pushed);
  assert.notEqual(queue.requestTimeoutIntervalId, null);
  queue.destroy();
  assert.equal(queue.requestTimeoutIntervalId, null, 'disconnecting clears it');
});

test('a request times out no sooner than its requestTimeout after it was sent', async () => {
  const queue = connectedQueue(300);
  const { pushed, outcome } = request(1);
  const sentAt = Date.now();
  queue.push(pushed);
  const result = await Promise.race([outcome, sleep(10_000).then(() => 'still waiting after 10 s')]);
  const elapsed = Date.now() - sentAt;
  assert.match(result, /timed out/);
  assert.ok(elapsed >= 300, `timed out after ${elapsed} ms`);
  queue.destroy();
});
