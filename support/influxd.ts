import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './harness.js';
import { REPO_ROOT } from './services.js';

export const INFLUX_VERSION = '2.8.0';
export const INFLUXD = join(process.env.TOWER_CACHE_DIR ?? join(homedir(), '.cache', 'tower'), 'influxdb', INFLUX_VERSION, 'influxd');

/** An InfluxDB of its own, onboarded like the influxdb Docker image does (DOCKER_INFLUXDB_INIT_*). */
export interface PrivateInflux {
  url: string;
  /** The operator token given at onboarding. */
  token: string;
  org: string;
  bucket: string;
  /** Where it keeps everything; removed by stop(). */
  dir: string;
  /** --engine-path: data/<bucket ID> holds a bucket's TSM files and index, wal/<bucket ID> its write-ahead log. */
  engineDir: string;
  log: () => string;
  stop: () => Promise<void>;
}

export interface PrivateInfluxOptions {
  org?: string;
  bucket?: string;
  /** More influxd flags, e.g. to snapshot and compact sooner. */
  flags?: string[];
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** Builds influxd (scripts/services/influxdb.sh install) when it is not cached. */
export function ensureInfluxd(): void {
  if (existsSync(INFLUXD)) return;
  const install = spawnSync('bash', [join(REPO_ROOT, 'scripts/services/influxdb.sh'), 'install'], { stdio: 'inherit', timeout: 45 * 60_000 });
  if (install.status !== 0) throw new Error(`scripts/services/influxdb.sh install failed; influxd is needed at ${INFLUXD}`);
}

/**
 * Starts influxd on a free port of 127.0.0.1 with the flags
 * scripts/services/influxdb.sh uses, its data in a new temporary directory,
 * and onboards it: org GIST, bucket Labs (no DBRP mapping, no v1 user), a
 * random token.
 */
export async function startPrivateInflux(options: PrivateInfluxOptions = {}): Promise<PrivateInflux> {
  ensureInfluxd();
  const org = options.org ?? 'GIST';
  const bucket = options.bucket ?? 'Labs';
  const token = randomBytes(32).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'tower-influxd-'));
  const engineDir = join(dir, 'engine');
  const logFile = join(dir, 'influxd.log');
  const url = `http://127.0.0.1:${await freePort()}`;
  const log = openSync(logFile, 'a');
  // INFLUXD_CONFIG_PATH keeps it from reading a config file of the current directory.
  const influxd: ChildProcess = spawn(
    INFLUXD,
    [
      '--http-bind-address',
      url.slice('http://'.length),
      '--bolt-path',
      join(dir, 'influxd.bolt'),
      '--sqlite-path',
      join(dir, 'influxd.sqlite'),
      '--engine-path',
      engineDir,
      '--reporting-disabled',
      '--ui-disabled',
      '--log-level',
      options.logLevel ?? 'warn',
      ...(options.flags ?? []),
    ],
    { cwd: dir, env: { PATH: process.env.PATH ?? '', INFLUXD_CONFIG_PATH: dir }, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const stop = async () => {
    if (influxd.exitCode === null && influxd.signalCode === null) {
      const exited = new Promise((resolve) => influxd.once('exit', resolve));
      influxd.kill('SIGTERM');
      const timer = setTimeout(() => influxd.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('influxd /health', 60_000, async () => {
      if (influxd.exitCode !== null) throw new Error(`influxd exited with ${influxd.exitCode}:\n${readLog().slice(-2000)}`);
      const health = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
      return health?.ok ? true : undefined;
    });
    const onboarding = await fetch(new URL('/api/v2/setup', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: randomBytes(16).toString('hex'), org, bucket, token }),
      signal: AbortSignal.timeout(30_000),
    });
    if (onboarding.status !== 201) throw new Error(`POST /api/v2/setup: HTTP ${onboarding.status} ${await onboarding.text()}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, token, org, bucket, dir, engineDir, log: readLog, stop };
}

export interface SetupRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `tower-sink setup` as the operator runs it against `server`: the built
 * program, secrets in its environment only. Throws if it printed one.
 */
export function runSetup(server: { url: string; token: string }, password: string, args: string[] = [], env: Record<string, string> = {}): SetupRun {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/consumer/main.js'), 'setup', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', TOWER_INFLUX_URL: server.url, TOWER_INFLUX_TOKEN: server.token, TOWER_V1_PASSWORD: password, ...env },
    timeout: 60_000,
  });
  const run = { code: result.status, stdout: result.stdout, stderr: result.stderr };
  for (const secret of [server.token, password, env.TOWER_INFLUX_TOKEN, env.TOWER_V1_PASSWORD]) {
    if (secret && `${run.stdout}${run.stderr}`.includes(secret)) throw new Error('setup printed a secret');
  }
  return run;
}
