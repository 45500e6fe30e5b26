import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { memAvailableNowKb, type Program, sleep, startProgram, v1Query, waitFor } from '../../support/harness.js';
import { servicesEnv } from '../../support/services.js';

const env = servicesEnv();
const uniqueHost = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
const rowsFor = (host: string) => v1Query(env, `SELECT "memory", "CPU_Usage" FROM "Labs"."autogen"."labs" WHERE "host" = '${host}'`);

async function stopAll(programs: Program[]): Promise<void> {
  const codes = await Promise.all(programs.map((p) => p.stop()));
  for (const [i, code] of codes.entries()) assert.equal(code, 0, `program exited with ${code}:\n${programs[i]?.output()}`);
}

test('samples flow from tower-agent through Kafka and tower-sink into InfluxDB', async () => {
  const host = uniqueHost('e2e');
  const sink = startProgram('consumer', ['run'], env);
  const agent = startProgram('agent', ['run', '--host', host], env);
  try {
    const rows = await waitFor('3 rows in InfluxDB', 120_000, async () => {
      const found = await rowsFor(host);
      return found.length >= 3 ? found : undefined;
    });
    const available = memAvailableNowKb();
    for (const row of rows) {
      const cpu = row.CPU_Usage as number;
      assert.ok(cpu >= 0 && cpu <= 100, `CPU_Usage ${cpu} outside 0–100`);
      const memory = row.memory as number;
      assert.ok(Math.abs(memory - available) <= available * 0.1, `memory ${memory} kB not within 10% of MemAvailable ${available} kB`);
    }
    const labQuery = await v1Query(env, `SELECT "memory" FROM "Labs"."autogen"."labs" WHERE time > now() - 10m`);
    assert.ok(labQuery.length >= rows.length, "the lab's Chronograf query sees the rows");
  } finally {
    await stopAll([agent, sink]);
  }
});

test('without tower-sink running, nothing reaches InfluxDB', async () => {
  const host = uniqueHost('e2e-nosink');
  const agent = startProgram('agent', ['run', '--host', host], env);
  try {
    // Give the agent its start (slow on a busy machine) and one linger of 5 s to deliver.
    await waitFor('the agent to start', 60_000, async () => (/agent started/.test(agent.output()) ? true : undefined));
    await sleep(5_000);
    assert.deepEqual(await rowsFor(host), []);
    assert.match(agent.output(), /agent started/);
  } finally {
    await stopAll([agent]);
  }
});
