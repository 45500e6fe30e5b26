import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agentOptions, parseAgentArgs } from '../../src/agent/cli.js';
import { configFile as sharedConfigFile, withTowerEnv } from '../support/towerEnv.js';

function optionsFor(args: string[], env: Record<string, string> = {}) {
  return withTowerEnv(env, async () => {
    const parsed = await parseAgentArgs(args);
    if (parsed.command === 'sample') assert.fail('optionsFor takes a run or doctor command line');
    return agentOptions(parsed.argv);
  });
}

const configFile = (text: string) => sharedConfigFile('agent.yaml', text);

test('with nothing set, the agent uses the lab defaults', async () => {
  const options = await optionsFor(['run']);
  assert.deepEqual(options.brokers, ['nuc:9090', 'nuc:9091', 'nuc:9092']);
  assert.equal(options.topic, 'resource');
  assert.equal(options.schedule, '* * * * * *');
  assert.equal(options.spoolMaxBytes, 64 * 1024 * 1024);
});

test('precedence: flags > TOWER_* environment > config file > defaults', async () => {
  const config = configFile('brokers: file:9090\ntopic: from-file\nhost: file-host\nspool-max-mb: 8\n');
  const fromFile = await optionsFor(['run', '--config', config]);
  assert.deepEqual([fromFile.brokers, fromFile.topic, fromFile.host, fromFile.spoolMaxBytes], [['file:9090'], 'from-file', 'file-host', 8 * 1024 * 1024]);
  const fromEnv = await optionsFor(['run', '--config', config], { TOWER_BROKERS: 'env:9090', TOWER_HOST: 'env-host' });
  assert.deepEqual([fromEnv.brokers, fromEnv.topic, fromEnv.host], [['env:9090'], 'from-file', 'env-host']);
  const fromFlags = await optionsFor(['run', '--config', config, '--host', 'flag-host'], { TOWER_HOST: 'env-host' });
  assert.equal(fromFlags.host, 'flag-host');
});

test("unrelated TOWER_* variables, such as the sink's token, do not upset the agent", async () => {
  const options = await optionsFor(['run'], { TOWER_INFLUX_TOKEN: 'secret', TOWER_V1_PASSWORD: 'pw' });
  assert.equal(options.topic, 'resource');
});

test('JSON config files work too', async () => {
  const options = await optionsFor(['run', '--config', configFile('{"brokers": "a:1,b:2"}')]);
  assert.deepEqual(options.brokers, ['a:1', 'b:2']);
});

test('the sample command reads /proc by default and takes --proc-root', async () => {
  assert.equal((await parseAgentArgs(['sample'])).argv.procRoot, '/proc');
  assert.equal((await parseAgentArgs(['sample', '--proc-root', '/host/proc'])).argv.procRoot, '/host/proc');
});
