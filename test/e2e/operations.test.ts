// What an operator touches at 3 a.m.: doctor verdicts, /metrics and /healthz,
// and a Pi whose clock is wrong. Everything runs against the real Kafka and
// InfluxDB; libfaketime shifts only the agent's own clock, as an unsynced Pi's is.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, type Program, startProgram, v1Query, waitFor } from '../../support/harness.js';
import { createTopic, env, startSink, unique } from './sinkHarness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CLOCK_SHIFT_MS = 3 * 3600_000;
let scratch = '';
let libfaketime = '';

before(() => {
  execFileSync('bash', [join(root, 'scripts/apt-ensure.sh'), 'faketime'], { stdio: 'inherit' });
  // Preloaded directly rather than through the `faketime` wrapper, which would not pass SIGTERM on to the agent.
  libfaketime =
    execFileSync('dpkg', ['-L', 'libfaketime'], { encoding: 'utf8' })
      .split('\n')
      .find((f) => f.endsWith('/libfaketime.so.1')) ?? '';
  assert.ok(libfaketime, 'libfaketime.so.1 not found in the libfaketime package');
  scratch = mkdtempSync(join(tmpdir(), 'tower-ops-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

function runCli(role: 'agent' | 'consumer', args: string[], extraEnv: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [join(root, 'dist', role, 'main.js'), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env, ...extraEnv },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Prometheus text → sum of each metric's values over its labels. */
async function scrape(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const metrics = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (match) metrics.set(match[1] as string, (metrics.get(match[1] as string) ?? 0) + Number(match[2]));
  }
  return metrics;
}

async function stopAll(programs: Program[]): Promise<void> {
  for (const program of programs) assert.equal(await program.stop(), 0, program.output());
}

test('tower-agent doctor: all checks pass on the cluster; an unknown name and a closed port fail with the fix, exit 1', () => {
  const good = runCli('agent', ['doctor']);
  assert.equal(good.code, 0, good.output);
  assert.match(good.output, /all \d+ checks passed/);

  const bad = runCli('agent', ['doctor', '--brokers', 'nuc-missing-name:9090,127.0.0.1:9']);
  assert.equal(bad.code, 1, bad.output);
  assert.match(bad.output, /fix: add the line "<NUC_IP> nuc-missing-name" to \/etc\/hosts/);
  assert.match(bad.output, /127\.0\.0\.1:9.*ECONNREFUSED/);
  assert.match(bad.output, /2 of 3 checks failed/);
});

test('tower-sink doctor: passes on the lab setup; a wrong token or bucket fails naming the setting, and no secret is printed', () => {
  const good = runCli('consumer', ['doctor']);
  assert.equal(good.code, 0, good.output);
  assert.match(good.output, /DBRP mapping: Labs\/autogen/);

  const wrongToken = `not-the-token-${unique('t')}`;
  const token = runCli('consumer', ['doctor'], { TOWER_INFLUX_TOKEN: wrongToken });
  assert.equal(token.code, 1, token.output);
  assert.match(token.output, /FAIL\s+token: HTTP 401[\s\S]*TOWER_INFLUX_TOKEN/);
  assert.ok(!token.output.includes(wrongToken), 'the token was printed');

  const bucket = runCli('consumer', ['doctor', '--influx-bucket', 'NoSuchBucket']);
  assert.equal(bucket.code, 1, bucket.output);
  assert.match(bucket.output, /bucket NoSuchBucket: not found in org GIST[\s\S]*--influx-bucket/);
  assert.ok(!bucket.output.includes(env.TOWER_INFLUX_TOKEN as string), 'the token was printed');
});

test('an agent whose clock is 3 h behind (libfaketime): points land at broker time with the Pi time kept, and both /metrics count it', async () => {
  const topic = await createTopic('t-ops');
  const host = unique('faketime');
  const [agentPort, sinkPort] = [await freePort(), await freePort()];
  const agent = startProgram('agent', ['run', '--topic', topic, '--host', host, '--spool-dir', join(scratch, 'spool'), '--metrics-port', String(agentPort)], {
    ...env,
    LD_PRELOAD: libfaketime,
    FAKETIME: `-${CLOCK_SHIFT_MS / 1000}s`,
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  });
  const sink = startSink(topic, 'resource.dlq', unique('g'), ['--metrics-port', String(sinkPort)]);
  try {
    const rows = await waitFor('4 points', 60_000, async () => {
      const found = await v1Query(env, `SELECT "CPU_Usage", "sample_time_ms" FROM "Labs"."autogen"."labs" WHERE "host" = '${host}'`);
      return found.length >= 4 ? found : undefined;
    });
    for (const row of rows) {
      const shift = Number(row.time) - Number(row.sample_time_ms);
      assert.ok(Math.abs(shift - CLOCK_SHIFT_MS) < 60_000, `point at ${row.time} for a sample stamped ${row.sample_time_ms}`);
      assert.ok(Math.abs(Number(row.time) - Date.now()) < 120_000, `point written at ${row.time}, not near the real time`);
    }

    const agentMetrics = await scrape(agentPort);
    assert.ok((agentMetrics.get('tower_agent_samples_total') ?? 0) >= 4, JSON.stringify([...agentMetrics]));
    assert.ok((agentMetrics.get('tower_agent_sent_total') ?? 0) >= 4, JSON.stringify([...agentMetrics]));
    assert.equal(agentMetrics.get('tower_agent_dropped_total'), 0);
    assert.equal((await fetch(`http://127.0.0.1:${agentPort}/healthz`)).status, 200);

    const sinkMetrics = await waitFor('sink counters', 30_000, async () => {
      const m = await scrape(sinkPort);
      return (m.get('tower_sink_written_total') ?? 0) >= rows.length ? m : undefined;
    });
    assert.equal(sinkMetrics.get('tower_sink_clock_corrected_total'), sinkMetrics.get('tower_sink_written_total'), 'every point was clock-corrected');
    assert.ok((sinkMetrics.get('tower_sink_consumed_total') ?? 0) >= rows.length);
    assert.equal(sinkMetrics.get('tower_sink_dead_letters_total'), 0);
    assert.ok(sinkMetrics.has('tower_sink_lag'), 'lag per partition is exported');
    assert.equal((await fetch(`http://127.0.0.1:${sinkPort}/healthz`)).status, 200);
  } finally {
    await stopAll([agent, sink]);
  }
});
