import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Program, startProgram, waitFor } from '../../support/harness.js';
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

before(() => {
  // No waiting for samples here: the first test starts verify together with the agent and the sink, as a user would.
  sink = startProgram('consumer', ['run'], env);
  agent = startProgram('agent', ['run', '--host', host, '--spool-dir', fileURLToPath(new URL(`../../.tower/test-spool-${host}`, import.meta.url))], env);
});

after(async () => {
  await agent.stop();
  await sink.stop();
});

/** Starts `tower-sink verify`: its output so far, and its exit code with all of its output. */
function runVerify(args = verifyArgs): { output: () => string; done: Promise<{ code: number | null; stdout: string }> } {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../../dist/consumer/main.js', import.meta.url)), ...args], {
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

/** Runs the lab's busy loop on 2 cores for `seconds`; resolves with its exit code and stderr. */
function runLoad(seconds: number): Promise<{ code: number | null; stderr: string }> {
  const child = spawn('bash', [loadTest, '--workers', '2', String(seconds)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c;
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

test('verify started together with the agent waits for the first readings, then sees the busy loop: PASS', async (t) => {
  // Samples land seconds after they are taken (the agent's 5 s linger, the sink, the write):
  // a fresh host has none yet, and verify must wait for them instead of failing at once.
  // The issue's own command: the 30 s baseline by default, so verify waits for the agent to have run that long (up to --wait 30).
  const verdict = runVerify(['verify', '--host', host, '--window', '40', '--min-rise', '20']);
  // The load must start after verify has read its baseline, however long the readings take to land.
  await waitFor('verify to read its baseline', 90_000, async () => {
    if (/^FAIL/m.test(verdict.output())) throw new Error(`verify failed before its baseline:\n${verdict.output()}`);
    return /^baseline: /m.test(verdict.output()) ? true : undefined;
  });
  const load = runLoad(20);
  const { code, stdout } = await verdict.done;
  const loaded = await load;
  t.diagnostic(stdout);
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.equal(code, 0, stdout);
  assert.match(stdout, /^waiting up to 30 s for 30 s of CPU_Usage of host "verify-/m);
  assert.match(stdout, /^PASS {2}CPU_Usage of verify-.*rise \d+\.\d points, needed 20/m);
  // One bar per reading: the baseline's and the window's, as many as landed before the rise was seen.
  const chart = /^ +([▁▂▃▄▅▆▇█]+) {2}\((\d+) readings, 0–100%\)$/m.exec(stdout);
  assert.ok(chart, `no chart in:\n${stdout}`);
  assert.equal(chart[1]?.length, Number(chart[2]), stdout);
  assert.ok(Number(chart[2]) >= 4, `a baseline and a 3-sample peak need 4 readings at least:\n${stdout}`);
});

test('without load, verify says FAIL and exits 1', async () => {
  const { code, stdout } = await runVerify().done;
  assert.equal(code, 1, stdout);
  assert.match(stdout, /^FAIL {2}CPU_Usage of verify-/m);
});

test('verify for a host with no data waits a while, says so and exits 1', async () => {
  const result = spawnSync(
    process.execPath,
    [fileURLToPath(new URL('../../dist/consumer/main.js', import.meta.url)), 'verify', '--host', 'no-such-pi', '--wait', '3'],
    {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
    },
  );
  assert.equal(result.status, 1, result.stdout);
  assert.match(result.stdout, /^waiting up to 3 s for 30 s of CPU_Usage of host "no-such-pi"/m);
  const waited = /^FAIL {2}no CPU_Usage for host "no-such-pi" in the last 30 s, nor after waiting (\d+) s for readings on their way/m.exec(result.stdout);
  assert.ok(waited, result.stdout);
  assert.ok(Number(waited[1]) >= 3, result.stdout);
});
