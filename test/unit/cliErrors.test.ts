import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const program = (role: 'agent' | 'consumer') => fileURLToPath(new URL(`../../src/${role}/main.ts`, import.meta.url));

function run(role: 'agent' | 'consumer', args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', program(role), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 30_000,
  });
}

const cases: [string, 'agent' | 'consumer', string[], RegExp][] = [
  ['unknown flag', 'agent', ['run', '--bogus', '1'], /unknown option --bogus/],
  ['unknown command', 'agent', ['launch'], /Unknown command: launch/],
  ['bad broker list', 'agent', ['run', '--brokers', 'nuc'], /broker "nuc" is not host:port/],
  ['bad spool cap', 'agent', ['run', '--spool-max-mb', 'lots'], /--spool-max-mb must be a number ≥ 1, got something that is not a number/],
  ['bad sample count', 'agent', ['sample', '--count', '0'], /--count must be a whole number/],
  ['bad schedule', 'agent', ['run', '--schedule', '61 * * * * *'], /invalid --schedule "61 \* \* \* \* \*": 61 is a invalid expression for second/],
  [
    'a schedule that never runs (the weekday nearest the 5th, on a Sunday)',
    'agent',
    ['run', '--schedule', '0 0 0 5W * 0'],
    /matches no time in the next eight years/,
  ],
  ['bad linger', 'agent', ['run', '--linger-ms', '-5'], /--linger-ms must be a whole number from 0 to 60000, got -5/],
  [
    'linger that is not a number',
    'agent',
    ['run', '--linger-ms', '5s'],
    /--linger-ms must be a whole number from 0 to 60000, got something that is not a number/,
  ],
  ['missing config file', 'agent', ['run', '--config', '/nonexistent/agent.yaml'], /cannot read config file/],
  ['sink without a token', 'consumer', ['run'], /set TOWER_INFLUX_TOKEN or --influx-token-file/],
  ['sink --v1 without a password', 'consumer', ['run', '--v1'], /set TOWER_V1_PASSWORD or --v1-password-file/],
  ['alerts without a token', 'consumer', ['alerts'], /set TOWER_INFLUX_TOKEN or --influx-token-file/],
];

for (const [what, role, args, message] of cases) {
  test(`${what}: one clear line on stderr and exit code 2`, () => {
    const result = run(role, args);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, message);
    assert.match(result.stderr, /--help/);
  });
}

test('setup refuses alerting options that cannot work, before it asks InfluxDB anything', () => {
  const secrets = { TOWER_INFLUX_TOKEN: 'token', TOWER_V1_PASSWORD: 'password8', TOWER_INFLUX_URL: 'http://127.0.0.1:1' };
  for (const [args, message] of [
    [['--silent-after', '30'], /--silent-after must be a duration in whole seconds such as 30s, 1m or 7d, got "30"/],
    [['--check-every', '5s'], /--check-offset \(6s\) must be shorter than --check-every \(5s\)/],
  ] as const) {
    const result = run('consumer', ['setup', ...args], secrets);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, message);
  }
});

test('alerts: InfluxDB out of reach is exit 2 with the reason, not a crash', () => {
  const result = run('consumer', ['alerts'], { TOWER_INFLUX_TOKEN: 'token', TOWER_INFLUX_URL: 'http://127.0.0.1:1' });
  assert.equal(result.status, 2, result.stderr);
  assert.match(
    result.stderr,
    /^tower-sink alerts: cannot reach InfluxDB at http:\/\/127\.0\.0\.1:1 \(.* on GET \/api\/v2\/orgs\): start it, or fix --influx-url$/m,
  );
  assert.doesNotMatch(result.stderr, /token/);
});

test('--help lists every option with its default', () => {
  const result = run('agent', ['run', '--help']);
  assert.equal(result.status, 0);
  for (const flag of ['--brokers', '--topic', '--host', '--schedule', '--spool-dir', '--spool-max-mb', '--linger-ms', '--config']) {
    assert.match(result.stdout, new RegExp(flag));
  }
  assert.match(result.stdout, /default: "nuc:9090,nuc:9091,nuc:9092"/);
});
