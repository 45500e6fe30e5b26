import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InfluxAdmin } from '../../src/influx/admin.js';
import { fluxQuery } from '../../src/influx/flux.js';
import { InfluxMonitoring } from '../../src/influx/monitoring.js';
import { influxRequest } from '../../src/influx/request.js';
import { type Program, startProgram, waitFor } from '../../support/harness.js';
import { removeAlerting } from './alertsHarness.js';
import { createTopic, env, startSink, unique } from './sinkHarness.js';

// InfluxDB 2.8's own checks and notification rules, provisioned by
// `tower-sink setup`, against the shared server: a webhook on 127.0.0.1
// receives what the rules post. The checks are org-wide, so this run's are
// named by a prefix of their own and watch only this run's hosts
// (--alert-hosts); the rules select their statuses by the prefix tag.
// Everything made here is deleted afterwards, _monitoring statuses included.
//
// Short intervals keep it quick: silent after 10 s, the deadman check every
// 4 s, CPU and memory over 5 s windows, each check 2 s late (the agent here
// batches for 0.5 s, not the default 5 s), rules twice as slow as their check.
//
// TOWER_ALERTS_E2E_REMOVE=deadman|cpu|memory deletes that check right after
// setup (…=rule:deadman its rule): the test that needs it must then fail.

const root = fileURLToPath(new URL('../..', import.meta.url));
const loadTest = `${root}deploy/pi/load-test.sh`;
const prefix = unique('e2e-alerts');
const host = unique('alerts');
const memHost = unique('alerts-mem');
const spool = `${root}.tower/test-spool-${host}`;
const SILENT_S = 10;
const CHECK_EVERY_S = 4;
const CHECK_OFFSET_S = 2;
const THRESHOLD_FOR_S = 5;
const TIMEOUT = { timeout: 240_000 };
const token = randomBytes(16).toString('hex');
const influx = { url: env.TOWER_INFLUX_URL ?? '', token: env.TOWER_INFLUX_TOKEN ?? '' };
const monitoring = new InfluxMonitoring(influx.url, influx.token);

interface Notification {
  at: number;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

const received: Notification[] = [];
let receiver: Server;
let webhook = '';
let sink: Program;
let agent: Program | undefined;
let orgID = '';
let topicName = '';

function setup(extra: string[] = []) {
  const args = [
    `${root}dist/consumer/main.js`,
    'setup',
    '--alert-prefix',
    prefix,
    '--alert-hosts',
    `^(${host}|${memHost})$`,
    '--silent-after',
    `${SILENT_S}s`,
    '--check-every',
    `${CHECK_EVERY_S}s`,
    '--check-offset',
    `${CHECK_OFFSET_S}s`,
    '--threshold-for',
    `${THRESHOLD_FOR_S}s`,
    '--alert-webhook',
    webhook,
    ...extra,
  ];
  const run = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env, TOWER_ALERT_WEBHOOK_TOKEN: token },
    timeout: 60_000,
  });
  assert.ok(!`${run.stdout}${run.stderr}`.includes(token), 'setup printed the webhook token');
  return run;
}

function alerts(): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [`${root}dist/consumer/main.js`, 'alerts', '--alert-prefix', prefix, '--host', host], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 60_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function startAgent(): Program {
  return startProgram('agent', ['run', '--host', host, '--topic', topicName, '--spool-dir', spool, '--linger-ms', '500'], {
    TOWER_BROKERS: env.TOWER_BROKERS ?? '',
  });
}

/** The first notification after `since` for the host, check and level. */
function notification(of: { host: string; check: string; level: string; since: number }): Notification | undefined {
  return received.find((n) => n.at >= of.since && n.body.host === of.host && n.body._check_name === `${prefix} ${of.check}` && n.body._level === of.level);
}

function waitForNotification(of: { host: string; check: string; level: string; since: number }, timeoutMs: number): Promise<Notification> {
  return waitFor(`a ${of.level} notification of "${prefix} ${of.check}" for ${of.host}`, timeoutMs, async () => notification(of));
}

/** ms of the host's newest sample in InfluxDB. */
async function lastSampleMs(of: string): Promise<number | undefined> {
  const rows = await fluxQuery(
    influx,
    'GIST',
    `from(bucket: "Labs") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "labs" and r._field == "CPU_Usage" and r.host == "${of}") |> last()`,
  );
  return rows[0]?._time ? Date.parse(rows[0]._time) : undefined;
}

/** The host's statuses of one check of this run, newest last. */
async function statuses(of: string, check: string): Promise<string[]> {
  const rows = await fluxQuery(
    influx,
    'GIST',
    `from(bucket: "_monitoring") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "statuses" and r._field == "_message" and r.tower_alerts == "${prefix}" and r._check_name == "${prefix} ${check}" and r.host == "${of}") |> group() |> sort(columns: ["_time"])`,
  );
  return rows.map((r) => r._level ?? '');
}

before(async () => {
  assert.ok(influx.url && influx.token, '.tower/services.env lacks TOWER_INFLUX_URL or TOWER_INFLUX_TOKEN: run npm run services:up');
  receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    req.on('end', () => {
      received.push({ at: Date.now(), authorization: req.headers.authorization, body: JSON.parse(text) as Record<string, unknown> });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  assert.ok(address && typeof address === 'object');
  webhook = `http://127.0.0.1:${address.port}/tower-alerts`;
  orgID = (await new InfluxAdmin(influx.url, influx.token).findOrg('GIST'))?.id ?? '';
  assert.ok(orgID, 'no organization GIST');
  topicName = await createTopic('t-alerts');
  sink = startSink(topicName, 'resource.dlq', unique('g-alerts'));
});

after(async () => {
  await agent?.stop();
  await sink?.stop();
  await removeAlerting(orgID, prefix);
  await new Promise((resolve) => receiver.close(resolve));
  rmSync(spool, { recursive: true, force: true });
});

test('setup makes the three checks, the endpoint and one rule per check; a second run finds them all', TIMEOUT, async () => {
  const first = setup();
  assert.equal(first.status, 0, first.stderr);
  const mine = first.stdout.split('\n').filter((line) => line.includes(`"${prefix} `));
  assert.deepEqual(
    mine.map((line) => line.replace(/ \(.*\)(?=: )/, '')),
    [
      `check "${prefix} deadman": created`,
      `check "${prefix} CPU_Usage": created`,
      `check "${prefix} memory": created`,
      `notification endpoint "${prefix} webhook": created`,
      `notification rule "${prefix} deadman → webhook": created`,
      `notification rule "${prefix} CPU_Usage → webhook": created`,
      `notification rule "${prefix} memory → webhook": created`,
    ],
    first.stdout,
  );
  const again = setup();
  assert.equal(again.status, 0, again.stderr);
  const lines = again.stdout.trim().split('\n');
  assert.equal(lines.filter((line) => line.includes(`"${prefix} `)).length, mine.length, again.stdout);
  for (const line of lines) assert.match(line, /: already present( \(ID \w+\))?$/);

  const removed = process.env.TOWER_ALERTS_E2E_REMOVE;
  if (removed) {
    const [kind, key] = removed.startsWith('rule:') ? ['rule', removed.slice(5)] : ['check', removed];
    const name = `${prefix} ${{ deadman: 'deadman', cpu: 'CPU_Usage', memory: 'memory' }[key as 'deadman'] ?? key}${kind === 'rule' ? ' → webhook' : ''}`;
    const found =
      kind === 'rule' ? (await monitoring.listRules(orgID)).find((r) => r.name === name) : (await monitoring.listChecks(orgID)).find((c) => c.name === name);
    assert.ok(found, `TOWER_ALERTS_E2E_REMOVE=${removed}: no ${kind} "${name}"`);
    await (kind === 'rule' ? monitoring.deleteRule(found.id) : monitoring.deleteCheck(found.id));
    console.log(`# TOWER_ALERTS_E2E_REMOVE: deleted the ${kind} "${name}"`);
  }
});

test('a silent agent is CRIT at the webhook within silent-after plus a check and a rule interval, and tower-sink alerts exits 1', TIMEOUT, async () => {
  agent = startAgent();
  // The rule posts changes of level: the host must have been OK first.
  await waitFor(`an OK deadman status of ${host}`, 90_000, async () => ((await statuses(host, 'deadman')).includes('ok') ? true : undefined));
  const stoppedAt = Date.now();
  assert.equal(await agent.stop(), 0, agent.output());
  agent = undefined;
  const crit = await waitForNotification({ host, check: 'deadman', level: 'crit', since: stoppedAt }, 120_000);
  const last = await lastSampleMs(host);
  assert.ok(last, `no sample of ${host} in InfluxDB`);
  const seconds = (crit.at - last) / 1000;
  const bound = SILENT_S + CHECK_EVERY_S + 2 * CHECK_EVERY_S + CHECK_OFFSET_S + 10;
  console.log(
    `# last sample of ${host} in InfluxDB → CRIT at the webhook: ${seconds.toFixed(1)} s (silent after ${SILENT_S} s, check every ${CHECK_EVERY_S} s, rule every ${2 * CHECK_EVERY_S} s, offsets ${CHECK_OFFSET_S} s)`,
  );
  assert.ok(seconds >= SILENT_S, `CRIT ${seconds} s after the last sample, before --silent-after`);
  assert.ok(seconds <= bound, `CRIT only ${seconds} s after the last sample (bound ${bound} s)`);
  assert.equal(crit.authorization, `Bearer ${token}`, 'the webhook gets the bearer token from the secret store');
  assert.equal(crit.body._type, 'deadman');
  assert.match(String(crit.body._message), new RegExp(`^${host}: last sample at `));

  const report = alerts();
  assert.equal(report.code, 1, `${report.stdout}${report.stderr}`);
  assert.match(report.stdout, /^HOST +CHECK +LEVEL +SINCE +MESSAGE$/m);
  assert.match(report.stdout, new RegExp(`^${host} +${prefix} deadman +CRIT +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ +${host}: last sample at`, 'm'));
  console.log(report.stdout.replace(/^/gm, '# '));
});

test('samples again: OK at the webhook', TIMEOUT, async () => {
  await agent?.stop();
  const startedAt = Date.now();
  agent = startAgent();
  const ok = await waitForNotification({ host, check: 'deadman', level: 'ok', since: startedAt }, 120_000);
  console.log(`# agent started → OK at the webhook: ${((ok.at - startedAt) / 1000).toFixed(1)} s`);
});

test('the busybox-style busy loop on both cores: CPU_Usage CRIT at the webhook, with its value, and tower-sink alerts exits 1', TIMEOUT, async () => {
  assert.ok(agent, 'the agent runs from the previous test');
  // This machine is shared and often busy: the CRIT must come from the loop, so the host must be below CRIT first.
  await waitFor(`a CPU_Usage status of ${host} below CRIT before the load (is this machine busy with something else?)`, 120_000, async () => {
    const levels = await statuses(host, 'CPU_Usage');
    return levels.length > 0 && levels.at(-1) !== 'crit' ? true : undefined;
  });
  const startedAt = Date.now();
  const load: ChildProcess = spawn('bash', [loadTest, '--workers', '2', '60'], { stdio: 'ignore' });
  try {
    const crit = await waitForNotification({ host, check: 'CPU_Usage', level: 'crit', since: startedAt }, 90_000);
    console.log(`# busy loop started → CPU_Usage CRIT at the webhook: ${((crit.at - startedAt) / 1000).toFixed(1)} s, value ${crit.body.CPU_Usage} %`);
    assert.ok(Number(crit.body.CPU_Usage) > 90, `CRIT with CPU_Usage ${crit.body.CPU_Usage}`);
    const report = alerts();
    assert.equal(report.code, 1, `${report.stdout}${report.stderr}`);
    assert.match(report.stdout, new RegExp(`^${host} +${prefix} CPU_Usage +CRIT +`, 'm'));
  } finally {
    load.kill('SIGTERM');
  }
});

test('memory above 90 % in use (synthetic points of a second host): memory CRIT at the webhook', TIMEOUT, async () => {
  const write = (usedPercent: number) =>
    influxRequest(influx.url, {
      method: 'POST',
      path: `/api/v2/write?${new URLSearchParams({ org: 'GIST', bucket: 'Labs', precision: 'ms' })}`,
      credentials: { token: influx.token },
      body: `labs,host=${memHost},region=GIST CPU_Usage=5,memory=90000,mem_used_percent=${usedPercent} ${Date.now()}`,
    });
  // A host's first status is no change of level: it must be OK once before its CRIT is posted.
  await waitFor(`an OK memory status of ${memHost}`, 90_000, async () => {
    await write(50);
    return (await statuses(memHost, 'memory')).includes('ok') ? true : undefined;
  });
  const startedAt = Date.now();
  const crit = await waitFor(`a CRIT notification of "${prefix} memory" for ${memHost}`, 90_000, async () => {
    await write(95.5);
    return notification({ host: memHost, check: 'memory', level: 'crit', since: startedAt });
  });
  assert.equal(crit.body.mem_used_percent, 95.5);
  assert.match(String(crit.body._message), new RegExp(`^${memHost}: 95.5 % of memory or more in use`));
});
