// The lab's Chronograf resources (deploy/nuc/chronograf) in a real Chronograf
// 1.10, built by scripts/services/chronograf.sh. A test host's samples go the
// real way, tower-agent → Kafka → tower-sink → InfluxDB; Chronograf starts
// with the folder as its --resources-path and the environment compose.yaml
// gives it; then every cell is rendered as the UI renders it and run through
// Chronograf's proxy for the source, as the lab's browser would.
// dashboard.test.ts looks at the same dashboard in a browser.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memAvailableNowKb } from '../../support/harness.js';
import {
  type Cell,
  type ChronografSource,
  type Dashboard,
  readDashboard,
  readSource,
  renderCellQuery,
  renderInterval,
  renderMetaQuery,
} from '../support/chronografResources.js';
import { api, INSTALL_TIMEOUT_MS, startLabStack, THERMAL_MILLI_C } from './chronografHarness.js';
import { env } from './sinkHarness.js';

/** Chronograf's "Past 15 minutes": a relative lower bound, no upper one. */
const RANGE = { lower: 'now() - 15m' };

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

test("Chronograf loads the lab's source and Tower dashboard, and every cell shows the test host's samples", {
  timeout: INSTALL_TIMEOUT_MS + 5 * 60_000,
}, async () => {
  // A fresh machine builds Chronograf here (minutes); later runs find it cached.
  const { host, base, chronografLog, stop } = await startLabStack('chronograf-e2e');
  try {
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
        if (cell.type === 'table') continue; // the alerts table; dashboard.test.ts reads its rows in the browser
        // Every cell charts the host chosen in :host: only.
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
    const memoryMib = seen.get('memory') ?? NaN;
    const availableMib = memAvailableNowKb() / 1024;
    assert.ok(Math.abs(memoryMib - availableMib) <= availableMib * 0.2, `memory ${memoryMib} MiB not within 20% of MemAvailable ${availableMib} MiB`);
    assert.equal(seen.get('temp'), Number(THERMAL_MILLI_C) / 1000);
    const disk = seen.get('disk') ?? NaN;
    assert.ok(disk > 0 && disk <= 100, `disk ${disk}% outside 0–100`);
    for (const counter of ['rx', 'tx', 'rx_dropped', 'tx_dropped', 'rxError', 'txError']) {
      assert.ok((seen.get(counter) ?? -1) >= 0, `${counter} rate ${seen.get(counter)} is not a non-negative number`);
    }
  } finally {
    await stop();
  }
});
