import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sleep, waitFor } from '../../support/harness.js';
import { countPoints, createTopic, produce, startSink, towerMessage, unique } from './sinkHarness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const influx = (command: 'start' | 'stop') => execFileSync('bash', ['scripts/services/influxdb.sh', command], { cwd: root, stdio: 'ignore' });

test('InfluxDB down for 20 s: the sink waits and retries without committing, then writes everything, nothing lost or doubled', async () => {
  const topic = await createTopic('t-influx-down');
  const prefix = unique('down');
  const t0 = Date.now() - 60_000;
  const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => towerMessage(`${prefix}-${(from + i) % 10}`, t0 + (from + i) * 100));
  const sink = startSink(topic, 'resource.dlq', unique('g'));
  try {
    await produce(topic, batch(0, 100));
    await waitFor('100 points', 90_000, async () => ((await countPoints(prefix)) === 100 ? true : undefined));
    influx('stop');
    try {
      await produce(topic, batch(100, 200));
      await waitFor('the retry warning', 60_000, async () => (sink.output().includes('InfluxDB write failed; retrying') ? true : undefined));
      await sleep(20_000);
      assert.equal(sink.child.exitCode, null, 'the sink kept running while InfluxDB was down');
    } finally {
      influx('start');
    }
    await waitFor('300 points', 90_000, async () => ((await countPoints(prefix)) === 300 ? true : undefined));
    await sleep(3_000);
    assert.equal(await countPoints(prefix), 300);
  } finally {
    assert.equal(await sink.stop(), 0, sink.output().slice(-1500));
  }
});
