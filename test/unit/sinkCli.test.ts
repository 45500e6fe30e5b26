import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSinkArgs, sinkOptions, verifyOptions } from '../../src/consumer/cli.js';
import { configFile as sharedConfigFile, withTowerEnv } from '../support/towerEnv.js';

/** The sink's fetch wait for these flags and TOWER_* variables, nothing else set. */
async function fetchWaitFor(args: string[], env: Record<string, string> = {}): Promise<number> {
  const stderr = process.stderr.write;
  process.stderr.write = () => true;
  try {
    return await withTowerEnv({ TOWER_INFLUX_TOKEN: 'token', ...env }, async () => sinkOptions((await parseSinkArgs(['run', ...args])).argv).fetchWaitMs);
  } finally {
    process.stderr.write = stderr;
  }
}

const configFile = (text: string) => sharedConfigFile('sink.yaml', text);

test('--fetch-wait-ms sets how long a fetch waits: flag, TOWER_FETCH_WAIT_MS, config file, default 100', async () => {
  assert.equal(await fetchWaitFor([]), 100);
  assert.equal(await fetchWaitFor(['--fetch-wait-ms', '250']), 250);
  assert.equal(await fetchWaitFor([], { TOWER_FETCH_WAIT_MS: '300' }), 300);
  assert.equal(await fetchWaitFor(['--config', configFile('fetch-wait-ms: 400\n')]), 400);
});

test('the old --linger-ms still sets the fetch wait, from the command line or a config file; --fetch-wait-ms wins', async () => {
  assert.equal(await fetchWaitFor(['--linger-ms', '50']), 50);
  assert.equal(await fetchWaitFor(['--config', configFile('linger-ms: 60\n')]), 60);
  assert.equal(await fetchWaitFor(['--fetch-wait-ms', '70', '--linger-ms', '50']), 70);
});

test("the agent's TOWER_LINGER_MS (produce batching) does not change the sink's fetch wait", async () => {
  assert.equal(await fetchWaitFor([], { TOWER_LINGER_MS: '5000' }), 100);
  assert.equal(await fetchWaitFor(['--config', configFile('linger-ms: 60\n')], { TOWER_LINGER_MS: '5000' }), 60);
});

test('verify --wait: how long it waits for readings on their way, default 30 s; 0 is allowed, a negative is not', async () => {
  const waitFor = (args: string[]) =>
    withTowerEnv({ TOWER_INFLUX_TOKEN: 'token' }, async () => verifyOptions((await parseSinkArgs(['verify', '--host', 'pi-1', ...args])).argv).waitS);
  assert.equal(await waitFor([]), 30);
  assert.equal(await waitFor(['--wait', '12']), 12);
  assert.equal(await waitFor(['--wait', '0']), 0);
  await assert.rejects(waitFor(['--wait', '-1']), /--wait must be a number ≥ 0, got -1/);
});
