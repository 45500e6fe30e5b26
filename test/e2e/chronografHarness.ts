// A real Chronograf (scripts/services/chronograf.sh) with the lab's resources,
// fed by a test host whose samples go the real way: tower-agent → Kafka →
// tower-sink → InfluxDB.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfluxAdmin } from '../../src/influx/admin.js';
import { freePort, type Program, startProgram, v1Query, waitFor } from '../../support/harness.js';
import { REPO_ROOT } from '../../support/services.js';
import { RESOURCES_DIR } from '../support/chronografResources.js';
import { removeAlerting } from './alertsHarness.js';
import { createTopic, env, kafka, startSink, unique } from './sinkHarness.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/services/chronograf.sh', import.meta.url));
/** A cold build of Chronograf with its web UI takes ~12 min on 2 cores; a busy machine may need twice that. */
export const INSTALL_TIMEOUT_MS = 30 * 60_000;
/** The SoC temperature the test host reports, in millidegrees as the kernel writes it. */
export const THERMAL_MILLI_C = '47500';

/** Runs chronograf.sh; fails with its output. Secrets travel in `extraEnv`, never in `args`. */
export function chronografScript(args: string[], extraEnv: Record<string, string>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], { env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`chronograf.sh ${args[0]} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

/** A JSON request to Chronograf's REST API; fails with the status and body. */
export async function api<T>(base: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(new URL(path, base), {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${body === undefined ? 'GET' : 'POST'} ${path}: HTTP ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/**
 * The command prefix that runs the agent with a thermal zone of its own: a
 * private mount namespace with a directory bound over /sys/class/thermal.
 * Build machines have no SoC sensor, and the temperature cell needs a real sample.
 */
function withThermalZone(dir: string): string[] {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (it gives tower-agent a thermal zone with unshare --mount); run it as root');
  mkdirSync(join(dir, 'thermal_zone0'), { recursive: true });
  writeFileSync(join(dir, 'thermal_zone0', 'temp'), `${THERMAL_MILLI_C}\n`);
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /sys/class/thermal && exec "$@"', dir];
}

/**
 * The lab's checks for this host alone, under a prefix of their own, with
 * short intervals; no webhook, so their statuses only land in _monitoring.
 */
function setUpAlerting(prefix: string, host: string): void {
  const args = [
    'setup',
    '--alert-prefix',
    prefix,
    '--alert-hosts',
    `^${host}$`,
    '--silent-after',
    '10s',
    '--check-every',
    '4s',
    '--check-offset',
    '2s',
    '--threshold-for',
    '5s',
  ];
  const run = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/consumer/main.js'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`tower-sink setup ${args.join(' ')} failed (${run.status}):\n${run.stdout}${run.stderr}`);
}

export interface LabStack {
  /** The test host's tag, unique to this run. */
  host: string;
  /** The prefix of the names of the checks that watch the host. */
  alertPrefix: string;
  /** Chronograf's base URL, http://127.0.0.1:PORT. */
  base: string;
  chronografLog: () => string;
  programs: Program[];
  stop: () => Promise<void>;
}

/**
 * Installs Chronograf when needed, then runs tower-sink and tower-agent (for a
 * unique host, on a topic of its own, watched by the lab's checks) and
 * Chronograf with the lab's resources;
 * resolves once 10 samples of the host, temperature included, are in InfluxDB.
 */
export async function startLabStack(prefix: string): Promise<LabStack> {
  await chronografScript(['install'], {}, INSTALL_TIMEOUT_MS);
  const host = unique(prefix);
  const work = mkdtempSync(join(tmpdir(), 'tower-chronograf-'));
  const stateDir = join(work, 'state');
  const topic = await createTopic(`t-${prefix}`);
  const programs: Program[] = [];
  let chronografStarted = false;
  const alertPrefix = unique(`e2e-${prefix}`);
  const orgID = (await new InfluxAdmin(String(env.TOWER_INFLUX_URL), String(env.TOWER_INFLUX_TOKEN)).findOrg('GIST'))?.id ?? '';
  const stop = async () => {
    const codes = await Promise.all(programs.map((p) => p.stop()));
    await removeAlerting(orgID, alertPrefix);
    if (chronografStarted) await chronografScript(['stop'], { TOWER_STATE_DIR: stateDir }, 60_000);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
    rmSync(work, { recursive: true, force: true });
    for (const [n, code] of codes.entries()) if (code !== 0) throw new Error(`program exited with ${code}:\n${programs[n]?.output()}`);
  };
  try {
    setUpAlerting(alertPrefix, host);
    programs.push(startSink(topic, 'resource.dlq', unique(`g-${prefix}`)));
    programs.push(
      startProgram('agent', ['run', '--host', host, '--topic', topic, '--spool-dir', join(work, 'spool')], env, withThermalZone(join(work, 'thermal'))),
    );
    const base = `http://127.0.0.1:${await freePort()}`;
    chronografStarted = true;
    await chronografScript(
      ['start', '--port', new URL(base).port, '--influxdb-url', String(env.TOWER_INFLUX_URL), '--resources-path', RESOURCES_DIR],
      { TOWER_STATE_DIR: stateDir, TOWER_V1_PASSWORD: String(env.TOWER_V1_PASSWORD) },
      2 * 60_000,
    );
    await waitFor(`10 samples of ${host} with temp in InfluxDB`, 120_000, async () => {
      const rows = await v1Query(env, `SELECT "CPU_Usage", "temp" FROM "Labs"."autogen"."labs" WHERE "host" = '${host}'`);
      return rows.length >= 10 && rows.every((r) => r.temp !== null) ? rows : undefined;
    });
    const chronografLog = () => readFileSync(join(stateDir, 'logs', 'chronograf.log'), 'utf8');
    return { host, alertPrefix, base, chronografLog, programs, stop };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}
