// The lab's Chronograf resources (deploy/nuc/chronograf) in a real Chronograf
// 1.10, built by scripts/services/chronograf.sh. A test host's samples go the
// real way, tower-agent → Kafka → tower-sink → InfluxDB; Chronograf starts
// with the folder as its --resources-path and the environment compose.yaml
// gives it; then every cell is rendered as the UI renders it and run through
// Chronograf's proxy for the source, as the lab's browser would.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { memAvailableNowKb, type Program, startProgram, v1Query, waitFor } from '../../support/harness.js';
import {
  type Cell,
  type ChronografSource,
  type Dashboard,
  RESOURCES_DIR,
  readDashboard,
  readSource,
  renderCellQuery,
  renderInterval,
  renderMetaQuery,
} from '../support/chronografResources.js';
import { createTopic, env, kafka, startSink, unique } from './sinkHarness.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/services/chronograf.sh', import.meta.url));
/** Chronograf's "Past 15 minutes": a relative lower bound, no upper one. */
const RANGE = { lower: 'now() - 15m' };
/** The SoC temperature the test host reports, in millidegrees as the kernel writes it. */
const THERMAL_MILLI_C = '47500';
const INSTALL_TIMEOUT_MS = 15 * 60_000;

interface SourceResponse extends Omit<ChronografSource, 'password'> {
  authentication: string;
  links: { self: string; proxy: string; queries: string };
}

interface CellResponse extends Cell {
  queries: (Cell['queries'][number] & { queryConfig: { rawText: string | null; database: string; retentionPolicy: string; measurement: string } })[];
}

interface Series {
  tags?: Record<string, string>;
  columns: string[];
  values: (number | string | null)[][];
}

interface ProxyResponse {
  results: { error?: string; series?: Series[] }[];
}

/** Runs chronograf.sh; fails with its output. Secrets travel in `extraEnv`, never in `args`. */
function chronografScript(args: string[], extraEnv: Record<string, string>, timeoutMs: number): Promise<string> {
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function api<T>(base: string, path: string, body?: unknown): Promise<T> {
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
 * Runs the agent with a thermal zone of its own: a private mount namespace
 * with a directory bound over /sys/class/thermal. Build machines have no SoC
 * sensor, and the temperature cell needs a real sample to show.
 */
function withThermalZone(dir: string): string[] {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (it gives tower-agent a thermal zone with unshare --mount); run it as root');
  mkdirSync(join(dir, 'thermal_zone0'), { recursive: true });
  writeFileSync(join(dir, 'thermal_zone0', 'temp'), `${THERMAL_MILLI_C}\n`);
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /sys/class/thermal && exec "$@"', dir];
}

/** Columns of `series` (other than time) that hold at least one value, with their last value. */
function lastValues(series: Series): Map<string, number> {
  const last = new Map<string, number>();
  for (const row of series.values) {
    series.columns.forEach((column, n) => {
      const value = row[n];
      if (column !== 'time' && typeof value === 'number') last.set(column, value);
    });
  }
  return last;
}

async function stopPrograms(programs: Program[]): Promise<void> {
  const codes = await Promise.all(programs.map((p) => p.stop()));
  for (const [n, code] of codes.entries()) assert.equal(code, 0, `program exited with ${code}:\n${programs[n]?.output()}`);
}

test("Chronograf loads the lab's source and Tower dashboard, and every cell shows the test host's samples", {
  timeout: INSTALL_TIMEOUT_MS + 5 * 60_000,
}, async () => {
  // A fresh machine builds Chronograf here (minutes); later runs find it cached.
  await chronografScript(['install'], {}, INSTALL_TIMEOUT_MS);

  const host = unique('chronograf-e2e');
  const work = mkdtempSync(join(tmpdir(), 'tower-chronograf-'));
  const stateDir = join(work, 'state');
  const topic = await createTopic('t-chronograf');
  const programs: Program[] = [];
  let chronografStarted = false;
  try {
    programs.push(startSink(topic, 'resource.dlq', unique('g-chronograf')));
    programs.push(
      startProgram('agent', ['run', '--host', host, '--topic', topic, '--spool-dir', join(work, 'spool')], env, withThermalZone(join(work, 'thermal'))),
    );

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    chronografStarted = true;
    await chronografScript(
      ['start', '--port', String(port), '--influxdb-url', String(env.TOWER_INFLUX_URL), '--resources-path', RESOURCES_DIR],
      { TOWER_STATE_DIR: stateDir, TOWER_V1_PASSWORD: String(env.TOWER_V1_PASSWORD) },
      2 * 60_000,
    );
    const chronografLog = () => readFileSync(join(stateDir, 'logs', 'chronograf.log'), 'utf8');

    // (c) Both files loaded, the source templated from Chronograf's environment.
    const file = readSource({ TOWER_INFLUX_URL: env.TOWER_INFLUX_URL, TOWER_V1_PASSWORD: env.TOWER_V1_PASSWORD });
    const { sources } = await api<{ sources: SourceResponse[] }>(base, '/chronograf/v1/sources');
    const source = sources.find((s) => s.id === file.id);
    assert.ok(source, `source ${file.id} not loaded; Chronograf has ${JSON.stringify(sources.map((s) => `${s.id}: ${s.name}`))}\n${chronografLog()}`);
    assert.equal(source.name, file.name);
    assert.equal(source.url, env.TOWER_INFLUX_URL);
    assert.equal(source.username, 'tower');
    assert.equal(source.authentication, 'basic');
    assert.equal(source.type, 'influx');
    assert.equal(source.telegraf, 'Labs');
    assert.equal(source.defaultRP, 'autogen');
    assert.equal(source.default, true);

    const expected = readDashboard();
    const { dashboards } = await api<{ dashboards: (Dashboard & { cells: CellResponse[] })[] }>(base, '/chronograf/v1/dashboards');
    const dashboard = dashboards.find((d) => String(d.id) === String(expected.id));
    assert.ok(dashboard, `dashboard ${expected.id} not loaded; Chronograf has ${JSON.stringify(dashboards.map((d) => d.name))}\n${chronografLog()}`);
    assert.equal(dashboard.name, 'Tower');
    assert.deepEqual(dashboard.cells.map((c) => c.i).sort(), expected.cells.map((c) => c.i).sort());
    for (const cell of dashboard.cells) {
      for (const q of cell.queries) {
        assert.equal(q.source, source.links.self, `${cell.name} queries the tower source`);
        // The UI runs rawText as is, or rebuilds a query it fully understood from queryConfig.
        const qc = q.queryConfig;
        if (qc.rawText === null) assert.deepEqual([qc.database, qc.retentionPolicy, qc.measurement], ['Labs', 'autogen', 'labs'], cell.name);
        else assert.equal(qc.rawText, q.query, cell.name);
      }
    }

    // (a) Real rows of the test host, every field the dashboard charts.
    await waitFor(`10 samples of ${host} with temp in InfluxDB`, 90_000, async () => {
      const rows = await v1Query(env, `SELECT "CPU_Usage", "temp" FROM "Labs"."autogen"."labs" WHERE "host" = '${host}'`);
      return rows.length >= 10 && rows.every((r) => r.temp !== null) ? rows : undefined;
    });

    // The :host: variable lists the test host: its meta query, through the proxy.
    const [hostVar] = dashboard.templates;
    assert.ok(hostVar?.query, 'the dashboard has the :host: variable with its meta query');
    const meta = await api<ProxyResponse>(base, source.links.proxy, { query: renderMetaQuery(hostVar.query) });
    const hosts = (meta.results[0]?.series ?? []).flatMap((s) => s.values.map((v) => v[1]));
    assert.ok(hosts.includes(host), `:host: does not offer ${host}`);

    // (d) Every cell, rendered like the UI renders it, through the source's proxy.
    const seen = new Map<string, number>();
    for (const cell of dashboard.cells) {
      for (const q of cell.queries) {
        const text = renderCellQuery(q.query, { ...RANGE, tagValues: { ':host:': host } });
        const analysis = await api<{ queries: { durationMs: number }[] }>(base, source.links.queries, { queries: [{ id: cell.i, query: text }] });
        const durationMs = analysis.queries[0]?.durationMs;
        assert.ok(durationMs !== undefined && durationMs >= 15 * 60_000 - 1, `${cell.name}: Chronograf sees a 15 min range, got ${durationMs}`);
        const query = renderInterval(text, durationMs);
        const response: ProxyResponse = await api<ProxyResponse>(base, source.links.proxy, { query });
        const result: ProxyResponse['results'][number] | undefined = response.results[0];
        assert.equal(result?.error, undefined, `${cell.name}: ${query}`);
        // A per-host cell has a series per host; a :host: cell only the chosen one's.
        const mine = (result?.series ?? []).filter((s) => (s.tags?.host ?? host) === host);
        assert.equal(mine.length, 1, `${cell.name}: one series for ${host} from ${query}`);
        const values = lastValues(mine[0] as Series);
        const columns = (mine[0] as Series).columns.filter((c) => c !== 'time');
        assert.deepEqual([...values.keys()].sort(), [...columns].sort(), `${cell.name}: every column has data: ${query}`);
        for (const [column, value] of values) seen.set(column, value);
      }
    }

    const cpu = seen.get('CPU_Usage') ?? NaN;
    assert.ok(cpu >= 0 && cpu <= 100, `CPU_Usage ${cpu} outside 0–100`);
    const memory = seen.get('memory') ?? NaN;
    const available = memAvailableNowKb();
    assert.ok(Math.abs(memory - available) <= available * 0.2, `memory ${memory} kB not within 20% of MemAvailable ${available} kB`);
    assert.equal(seen.get('temp'), Number(THERMAL_MILLI_C) / 1000);
    const disk = seen.get('disk') ?? NaN;
    assert.ok(disk > 0 && disk <= 100, `disk ${disk}% outside 0–100`);
    for (const counter of ['rx', 'tx', 'rx_dropped', 'tx_dropped', 'rxError', 'txError']) {
      assert.ok((seen.get(counter) ?? -1) >= 0, `${counter} rate ${seen.get(counter)} is not a non-negative number`);
    }
  } finally {
    await stopPrograms(programs.splice(0));
    if (chronografStarted) await chronografScript(['stop'], { TOWER_STATE_DIR: stateDir }, 60_000);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
    rmSync(work, { recursive: true, force: true });
  }
});
