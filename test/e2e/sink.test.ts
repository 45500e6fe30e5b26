import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DLQ_HEADERS } from '../../src/consumer/pipeline/deadLetters.js';
import { sleep, v1Query, waitFor } from '../../support/harness.js';
import { countPoints, createTopic, env, pointsByHost, produce, readAll, startSink, towerMessage, unique } from './sinkHarness.js';

const now = () => Date.now();

test("legacy Flume/Fluentd JSON lands with the lab's field names; bad input goes to the dead-letter topic with its reason while its neighbours land", async () => {
  const topic = await createTopic('t-legacy');
  const dlq = await createTopic('t-legacy-dlq');
  const host = unique('legacy');
  const t = now() - 5_000;
  await produce(topic, [
    {
      key: host,
      value: JSON.stringify({
        free_ram: '3391548',
        cpu_load: '0.06',
        tx_bytes: 10,
        rx_bytes: 20,
        tx_drops: 0,
        rx_drops: 1,
        tx_errors: 0,
        rx_errors: 2,
        disk_util: '41.5',
        time: t / 1000,
      }),
    },
    { key: host, value: 'this is not a sample' },
    { key: host, value: JSON.stringify({ free_ram: '3391000', cpu_load: 'n/a', time: (t + 1000) / 1000 }) },
    towerMessage(host, t + 2000),
    { key: host, value: Buffer.from([0xc1, 0x00]), headers: { 'tower-encoding': 'msgpack', 'tower-schema': '1' } },
  ]);
  const sink = startSink(topic, dlq, unique('g'));
  try {
    const rows = await waitFor('3 rows', 90_000, async () => {
      const found = await v1Query(env, `SELECT * FROM "Labs"."autogen"."labs" WHERE "host" = '${host}'`);
      return found.length >= 3 ? found : undefined;
    });
    const first = rows.find((r) => r.time === t);
    assert.deepEqual(
      [first?.memory, first?.CPU_Usage, first?.tx, first?.rx, first?.rx_dropped, first?.rxError, first?.disk, first?.region],
      [3391548, 0.06, 10, 20, 1, 2, 41.5, 'GIST'],
    );
    const second = rows.find((r) => r.time === t + 1000);
    assert.equal(second?.memory, 3391000);
    assert.equal(second?.CPU_Usage, null, 'the field that was not a number is left out, the rest kept');
    const dead = await readAll(dlq, 2);
    assert.equal(dead.length, 2);
    const reasons = dead.map((m) => m.headers?.[DLQ_HEADERS.reason]?.toString() ?? '');
    assert.ok(
      reasons.some((r) => /neither a Tower sample nor a legacy/.test(r)),
      reasons.join(' | '),
    );
    assert.ok(
      reasons.some((r) => /not msgpack/.test(r)),
      reasons.join(' | '),
    );
    for (const m of dead) {
      assert.equal(m.headers?.[DLQ_HEADERS.topic]?.toString(), topic);
      assert.match(m.headers?.[DLQ_HEADERS.offset]?.toString() ?? '', /^\d+$/);
    }
    assert.equal(dead.find((m) => /neither/.test(m.headers?.[DLQ_HEADERS.reason]?.toString() ?? ''))?.value?.toString(), 'this is not a sample');
  } finally {
    assert.equal(await sink.stop(), 0);
  }
});

test("--v1 writes through /write?db=Labs&rp=autogen as the lab's tower user", async () => {
  const topic = await createTopic('t-v1');
  const host = unique('v1');
  await produce(topic, [towerMessage(host, now() - 2000), towerMessage(host, now() - 1000)]);
  const sink = startSink(topic, 'resource.dlq', unique('g'), ['--v1']);
  try {
    await waitFor('2 points', 90_000, async () => ((await countPoints(host)) === 2 ? true : undefined));
  } finally {
    assert.equal(await sink.stop(), 0);
  }
});

test("a sample stamped by an unsynced clock is written at the broker's time, keeping its own as a field", async () => {
  const topic = await createTopic('t-clock');
  const host = unique('clock');
  const yearsAgo = Date.UTC(2019, 0, 1);
  await produce(topic, [towerMessage(host, yearsAgo), towerMessage(host, yearsAgo + 1000), towerMessage(host, yearsAgo + 2000)]);
  const sink = startSink(topic, 'resource.dlq', unique('g'));
  try {
    const rows = await waitFor('3 points', 90_000, async () => {
      const found = await v1Query(env, `SELECT * FROM "Labs"."autogen"."labs" WHERE "host" = '${host}'`);
      return found.length >= 3 ? found : undefined;
    });
    assert.deepEqual(
      rows.map((r) => r.sample_time_ms),
      [yearsAgo, yearsAgo + 1000, yearsAgo + 2000],
    );
    assert.ok(Math.abs(Number(rows[2]?.time) - now()) < 60_000, `written at ${rows[2]?.time}`);
    assert.deepEqual([Number(rows[1]?.time) - Number(rows[0]?.time), Number(rows[2]?.time) - Number(rows[1]?.time)], [1000, 1000], 'spacing kept');
  } finally {
    assert.equal(await sink.stop(), 0);
  }
});

test('SIGKILL at random moments during a stream of N samples, then a restart: exactly N distinct points', async () => {
  const topic = await createTopic('t-kill');
  const prefix = unique('kill');
  const n = 6000;
  const start = now() - n * 10;
  await produce(
    topic,
    Array.from({ length: n }, (_, i) => towerMessage(`${prefix}-${i % 20}`, start + i * 10)),
  );
  const group = unique('g');
  for (let kill = 0; kill < 4; kill += 1) {
    const sink = startSink(topic, 'resource.dlq', group, ['--batch-size', '200']);
    await sleep(2_000 + Math.random() * 2_000);
    sink.child.kill('SIGKILL');
    await sink.stop();
  }
  const last = startSink(topic, 'resource.dlq', group, ['--batch-size', '200']);
  try {
    await waitFor(`${n} points`, 120_000, async () => ((await countPoints(prefix)) >= n ? true : undefined));
    await sleep(2_000);
    assert.equal(await countPoints(prefix), n);
  } finally {
    assert.equal(await last.stop(), 0);
  }
});

test('a wrong token stops writes with one clear error and loses nothing; the right token then writes everything', async () => {
  const topic = await createTopic('t-token');
  const host = unique('token');
  await produce(
    topic,
    Array.from({ length: 5 }, (_, i) => towerMessage(host, now() - 10_000 + i * 1000)),
  );
  const group = unique('g');
  const wrong = startSink(topic, 'resource.dlq', group, [], { TOWER_INFLUX_TOKEN: 'not-the-token' });
  await waitFor('the error', 90_000, async () => (wrong.output().includes('writes stopped') ? true : undefined));
  await sleep(3_000);
  assert.equal(await wrong.stop(), 0);
  const errors = wrong
    .output()
    .split('\n')
    .filter((l) => l.includes('"level":50'));
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0] ?? '', /TOWER_INFLUX_TOKEN/);
  assert.doesNotMatch(wrong.output(), /not-the-token/);
  assert.equal(await countPoints(host), 0);
  const right = startSink(topic, 'resource.dlq', group);
  try {
    await waitFor('5 points', 90_000, async () => ((await countPoints(host)) === 5 ? true : undefined));
  } finally {
    assert.equal(await right.stop(), 0);
  }
});

test('two sinks in one group share the partitions; killing one hands its partitions to the other with no loss', async () => {
  const topic = await createTopic('t-scale');
  const prefix = unique('scale');
  const group = unique('g');
  const a = startSink(topic, 'resource.dlq', group);
  const b = startSink(topic, 'resource.dlq', group);
  try {
    await waitFor('both sinks in the group', 120_000, async () =>
      a.output().includes('joined consumer group') && b.output().includes('joined consumer group') ? true : undefined,
    );
    const t0 = now() - 100_000;
    await produce(
      topic,
      Array.from({ length: 300 }, (_, i) => towerMessage(`${prefix}-${i % 30}`, t0 + i * 100)),
    );
    await waitFor('300 points', 90_000, async () => ((await countPoints(prefix)) === 300 ? true : undefined));
    b.child.kill('SIGKILL');
    await b.stop();
    await produce(
      topic,
      Array.from({ length: 300 }, (_, i) => towerMessage(`${prefix}-${i % 30}`, t0 + 30_000 + i * 100)),
    );
    await waitFor('600 points', 90_000, async () => ((await countPoints(prefix)) === 600 ? true : undefined));
    const hosts = await pointsByHost(prefix);
    assert.equal(hosts.size, 30);
    assert.ok([...hosts.values()].every((c) => c === 20));
  } finally {
    assert.equal(await a.stop(), 0);
    await b.stop();
  }
});

test('points InfluxDB refuses (a field type conflict) go to the dead-letter topic; the rest of the batch is written', async () => {
  const topic = await createTopic('t-conflict');
  const dlq = await createTopic('t-conflict-dlq');
  const measurement = unique('conflict');
  const host = unique('conflict-host');
  const t = now() - 20_000;
  const seed = await fetch(`${env.TOWER_INFLUX_URL}/api/v2/write?org=GIST&bucket=Labs&precision=ms`, {
    method: 'POST',
    headers: { authorization: `Token ${env.TOWER_INFLUX_TOKEN}` },
    body: `${measurement},host=${host} CPU_Usage="text" ${t - 1000}`,
  });
  assert.equal(seed.status, 204);
  await produce(topic, [
    towerMessage(host, t, { memory: 1 }),
    towerMessage(host, t + 1000, { CPU_Usage: 5, memory: 2 }),
    towerMessage(host, t + 2000, { memory: 3 }),
    towerMessage(host, t + 3000, { CPU_Usage: 6, memory: 4 }),
    towerMessage(host, t + 4000, { memory: 5 }),
  ]);
  const sink = startSink(topic, dlq, unique('g'), ['--measurement', measurement]);
  try {
    const dead = await readAll(dlq, 2, 60_000);
    assert.equal(dead.length, 2);
    for (const letter of dead) assert.match(letter.headers?.[DLQ_HEADERS.reason]?.toString() ?? '', /InfluxDB refused the point: HTTP 4\d\d.*conflict/);
    const rows = await v1Query(env, `SELECT "memory" FROM "Labs"."autogen"."${measurement}" WHERE "host" = '${host}'`);
    assert.deepEqual(
      rows.map((r) => r.memory).filter((m) => m !== null),
      [1, 3, 5],
    );
  } finally {
    assert.equal(await sink.stop(), 0);
  }
});
