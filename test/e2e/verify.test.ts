import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Program, startProgram, v1Query, waitFor } from '../../support/harness.js';
import { servicesEnv } from '../../support/services.js';
import { unique } from './sinkHarness.js';

// The lab's last step: a busy loop on the Pi must show as a rise of CPU_Usage,
// judged by `tower-sink verify` from what landed in InfluxDB.
const env = servicesEnv();
const host = unique('verify');
const loadTest = fileURLToPath(new URL('../../deploy/pi/load-test.sh', import.meta.url));
const verifyArgs = ['verify', '--host', host, '--baseline', '8', '--window', '25', '--min-rise', '30'];
let agent: Program;
let sink: Program;

before(async () => {
  sink = startProgram('consumer', ['run'], env);
  agent = startProgram('agent', ['run', '--host', host, '--spool-dir', fileURLToPath(new URL(`../../.tower/test-spool-${host}`, import.meta.url))], env);
  // The baseline (--baseline 8) needs samples of the last 8 s in InfluxDB before verify starts.
  await waitFor(`10 samples of ${host} in InfluxDB`, 120_000, async () => {
    const rows = await v1Query(env, `SELECT "CPU_Usage" FROM "Labs"."autogen"."labs" WHERE "host" = '${host}'`);
    return rows.length >= 10 ? rows : undefined;
  });
});

after(async () => {
  await agent.stop();
  await sink.stop();
});

/** Starts `tower-sink verify`: its output so far, and its exit code with all of its output. */
function runVerify(): { output: () => string; done: Promise<{ code: number | null; stdout: string }> } {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../../dist/consumer/main.js', import.meta.url)), ...verifyArgs], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c;
  });
  child.stderr.on('data', (c: Buffer) => {
    stdout += c;
  });
  const done = new Promise<{ code: number | null; stdout: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout })));
  return { output: () => stdout, done };
}

test('without load, verify says FAIL and exits 1', async () => {
  const { code, stdout } = await runVerify().done;
  assert.equal(code, 1, stdout);
  assert.match(stdout, /^FAIL {2}CPU_Usage of verify-/m);
});

test('with the busybox-style busy loop running, verify says PASS and exits 0', async () => {
  const verdict = runVerify();
  // The load must start after verify has read its baseline, however long verify takes to start.
  await waitFor('verify to read its baseline', 60_000, async () => (/^baseline: /m.test(verdict.output()) ? true : undefined));
  const load = spawnSync('bash', [loadTest, '--workers', '2', '20'], { encoding: 'utf8', timeout: 40_000 });
  assert.equal(load.status, 0, load.stderr);
  const { code, stdout } = await verdict.done;
  assert.equal(code, 0, stdout);
  assert.match(stdout, /^PASS {2}CPU_Usage of verify-.*rise \d+\.\d points, needed 30/m);
  // One bar per reading: the baseline's and the window's, as many as landed before the rise was seen.
  const chart = /^ +([▁▂▃▄▅▆▇█]+) {2}\((\d+) readings, 0–100%\)$/m.exec(stdout);
  assert.ok(chart, `no chart in:\n${stdout}`);
  assert.equal(chart[1]?.length, Number(chart[2]), stdout);
  assert.ok(Number(chart[2]) >= 4, `a baseline and a 3-sample peak need 4 readings at least:\n${stdout}`);
});

test('verify for a host with no data says so and exits 1', async () => {
  const result = spawnSync(process.execPath, [fileURLToPath(new URL('../../dist/consumer/main.js', import.meta.url)), 'verify', '--host', 'no-such-pi'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  assert.equal(result.status, 1);
  assert.match(result.stdout, /no CPU_Usage for host "no-such-pi"/);
});
