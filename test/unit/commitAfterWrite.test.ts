import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import type { Batch, EachBatchPayload, IHeaders, KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { type BatchDeps, commitAfterWrite } from '../../src/consumer/pipeline/commitAfterWrite.js';
import type { DeadLetter } from '../../src/consumer/pipeline/deadLetters.js';
import { SinkStats } from '../../src/consumer/pipeline/stats.js';
import type { LineBatch } from '../../src/influx/lineBatch.js';
import { InfluxError } from '../../src/influx/request.js';
import { encodeSample, sampleHeaders } from '../../src/schema/sample.js';

// The unit test of commitAfterWrite's ordering alone. Its dependencies (the
// Kafka batch calls and the InfluxDB write) are in-memory recorders that log
// every call in one event list, so the tests can check the order. The same
// guarantees against the real Kafka and InfluxDB servers are tested in
// test/e2e (sink, influxRestart, fuzz) and by the drills.

const now = Date.now();
const message = (offset: number, value: Buffer, headers: IHeaders): KafkaMessage => ({
  key: Buffer.from('pi-1'),
  value,
  headers,
  timestamp: String(now),
  offset: String(offset),
  attributes: 0,
});
const sample = (offset: number) =>
  message(offset, Buffer.from(encodeSample({ v: 1, host: 'pi-1', time: now - 10_000 + offset, fields: { CPU_Usage: offset } })), sampleHeaders());
const garbage = (offset: number) => message(offset, Buffer.from('not a sample'), {});

interface Recorder {
  events: string[];
  payload: EachBatchPayload;
  deps: BatchDeps;
  /** What the next write does; resolves by default. */
  write: (lines: LineBatch) => Promise<void>;
  stale: boolean;
}

function recorder(messages: KafkaMessage[], batchSize = 10): Recorder {
  const f: Recorder = { events: [], stale: false, write: async () => undefined } as unknown as Recorder;
  const batch = { topic: 'resource', partition: 0, messages, offsetLag: () => '0' } as unknown as Batch;
  f.payload = {
    batch,
    isRunning: () => true,
    isStale: () => f.stale,
    heartbeat: async () => {
      f.events.push('heartbeat');
    },
    resolveOffset: (offset: string) => {
      f.events.push(`resolve ${offset}`);
    },
  } as unknown as EachBatchPayload;
  f.deps = {
    write: async (lines) => {
      f.events.push(`write ${lines.count}`);
      await f.write(lines);
    },
    sendDeadLetters: async (letters: DeadLetter[]) => {
      f.events.push(`dead letters ${letters.length}`);
    },
    commit: async (topic, partition, nextOffset) => {
      f.events.push(`commit ${topic}/${partition} ${nextOffset}`);
    },
    stats: new SinkStats(),
    logger: pino({ level: 'silent' }),
    decode: { measurement: 'labs', region: 'GIST', defaultHost: 'Labs', maxSkewMs: 5 * 60_000 },
    batchSize,
  };
  return f;
}

/** Moves the mocked clock on by MS, a second at a time, letting what each second wakes run. */
async function advance(ms: number): Promise<void> {
  for (let waited = 0; waited < ms; waited += 1_000) {
    mock.timers.tick(1_000);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const withoutHeartbeats = (events: string[]) => events.filter((e) => e !== 'heartbeat');

test('commits each chunk only after its write and its dead letters are done', async () => {
  const f = recorder([sample(0), garbage(1), sample(2), sample(3), sample(4)], 3);
  await commitAfterWrite(f.payload, f.deps);
  assert.deepEqual(withoutHeartbeats(f.events), [
    'write 2',
    'dead letters 1',
    'commit resource/0 3',
    'resolve 2',
    'write 2',
    'dead letters 0',
    'commit resource/0 5',
    'resolve 4',
  ]);
  assert.equal(f.deps.stats.consumed, 5);
  assert.equal(f.deps.stats.written, 4);
  assert.equal(f.deps.stats.deadLetters, 1);
});

test('a dead-letter send that fails commits nothing', async () => {
  const f = recorder([sample(0), garbage(1)]);
  f.deps.sendDeadLetters = async () => {
    f.events.push('dead letters failed');
    throw new Error('dlq topic gone');
  };
  await assert.rejects(commitAfterWrite(f.payload, f.deps), /dlq topic gone/);
  assert.deepEqual(withoutHeartbeats(f.events), ['write 1', 'dead letters failed']);
});

test('stops at a stale batch: nothing more is written or committed once the partition is lost', async () => {
  const f = recorder([sample(0), sample(1), sample(2), sample(3)], 2);
  f.write = async () => {
    f.stale = true;
  };
  await commitAfterWrite(f.payload, f.deps);
  assert.deepEqual(withoutHeartbeats(f.events), ['write 2', 'dead letters 0', 'commit resource/0 2', 'resolve 1']);
});

test('a stale batch while InfluxDB is failing stops the retries and commits nothing', { timeout: 10_000 }, async () => {
  const f = recorder([sample(0), sample(1)]);
  f.write = async () => {
    f.stale = true;
    throw new InfluxError('InfluxDB answered HTTP 503', 503, '');
  };
  await commitAfterWrite(f.payload, f.deps);
  assert.deepEqual(withoutHeartbeats(f.events), ['write 2']);
  assert.equal(f.deps.stats.retries, 1);
});

test('while a setting blocks writes it waits, heartbeating, then writes again and commits', { timeout: 10_000 }, async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now });
  try {
    const f = recorder([sample(0), sample(1)]);
    f.write = async () => {
      throw new InfluxError('InfluxDB answered HTTP 401', 401, '{"message":"unauthorized"}');
    };
    const done = commitAfterWrite(f.payload, f.deps);
    await advance(29_000);
    assert.deepEqual(withoutHeartbeats(f.events), ['write 2'], 'no second write and no commit within 30 s');
    assert.ok(f.events.filter((e) => e === 'heartbeat').length >= 29, 'keeps heartbeating while it waits');
    assert.match(f.deps.stats.blockedBy ?? '', /HTTP 401/);
    f.write = async () => undefined;
    await advance(2_000);
    await done;
    assert.deepEqual(withoutHeartbeats(f.events), ['write 2', 'write 2', 'dead letters 0', 'commit resource/0 2', 'resolve 1']);
    assert.equal(f.deps.stats.blockedBy, undefined);
  } finally {
    mock.timers.reset();
  }
});

test('a stale batch while writes are blocked stops the wait and commits nothing', { timeout: 10_000 }, async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now });
  try {
    const f = recorder([sample(0), sample(1)]);
    f.write = async () => {
      throw new InfluxError('InfluxDB answered HTTP 404', 404, '{"message":"bucket not found"}');
    };
    const done = commitAfterWrite(f.payload, f.deps);
    await advance(1_000);
    f.stale = true;
    mock.timers.tick(1_000);
    await done;
    assert.deepEqual(withoutHeartbeats(f.events), ['write 2']);
  } finally {
    mock.timers.reset();
  }
});

test('with writes in flight, a later chunk done first is committed only after the earlier ones', async () => {
  const f = recorder([sample(0), sample(1), sample(2), sample(3), sample(4), sample(5)], 2);
  f.deps.writesInFlight = 3;
  const pending: (() => void)[] = [];
  f.write = () => new Promise<void>((resolve) => pending.push(resolve));
  const done = commitAfterWrite(f.payload, f.deps);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(withoutHeartbeats(f.events), ['write 2', 'write 2', 'write 2'], 'three writes in flight at once');
  pending[2]?.();
  pending[1]?.();
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(!f.events.some((e) => e.startsWith('commit')), 'nothing committed while the first chunk is unacknowledged');
  pending[0]?.();
  await done;
  assert.deepEqual(
    withoutHeartbeats(f.events).filter((e) => e.startsWith('commit') || e.startsWith('resolve')),
    ['commit resource/0 6', 'resolve 5'],
    'one commit covers the three chunks once the first is done',
  );
  assert.equal(f.deps.stats.consumed, 6);
});

test('with writes in flight, a failed chunk stops the commit before it; the done chunks before it are committed', async () => {
  const f = recorder([sample(0), sample(1), garbage(2), sample(3), sample(4), sample(5)], 2);
  f.deps.writesInFlight = 3;
  f.deps.sendDeadLetters = async (letters) => {
    if (letters.length > 0) throw new Error('dlq topic gone');
  };
  await assert.rejects(commitAfterWrite(f.payload, f.deps), /dlq topic gone/);
  assert.deepEqual(
    f.events.filter((e) => e.startsWith('commit')),
    ['commit resource/0 2'],
  );
});
