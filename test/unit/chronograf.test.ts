// deploy/nuc/chronograf: the lab's data source and "Tower" dashboard, checked
// against the format Chronograf 1.10 loads from --resources-path. The
// end-to-end test (test/e2e/chronograf.test.ts) loads them into a real
// Chronograf and runs every cell; this one needs no server.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import {
  type Dashboard,
  dashboardProblems,
  RESOURCES_DIR,
  ResourceTemplateError,
  readDashboard,
  readResource,
  readSource,
  renderCellQuery,
  renderInterval,
  renderMetaQuery,
  renderResourceTemplate,
  sourceProblems,
  undefinedVariables,
} from '../support/chronografResources.js';

// What deploy/nuc/compose.yaml gives the chronograf container.
const COMPOSE_ENV = { TOWER_INFLUX_URL: 'http://influxdb:8086', TOWER_V1_PASSWORD: '0123456789abcdef'.repeat(4) };
const FROM_LABS = 'FROM "Labs"."autogen"."labs"';

test('the resources folder holds exactly the lab source and the Tower dashboard (plus its README)', () => {
  assert.deepEqual(readdirSync(RESOURCES_DIR).sort(), ['README.md', 'tower.dashboard', 'tower.src']);
});

test('tower.src, templated with the compose environment, is a source Chronograf accepts', () => {
  const source = readSource(COMPOSE_ENV);
  assert.deepEqual(sourceProblems(source), []);
  assert.equal(source.url, COMPOSE_ENV.TOWER_INFLUX_URL);
  assert.equal(source.password, COMPOSE_ENV.TOWER_V1_PASSWORD);
  assert.equal(source.type, 'influx', 'the v1 API with basic auth, not influx-v2 (token)');
  assert.equal(source.username, 'tower');
  assert.equal(source.telegraf, 'Labs');
  assert.equal(source.defaultRP, 'autogen');
  assert.equal(source.default, true);
});

test('tower.src keeps its secrets out of the file: both are placeholders', () => {
  const raw = readResource('tower.src');
  assert.match(raw, /"password": "\{\{ \.TOWER_V1_PASSWORD \}\}"/);
  assert.match(raw, /"url": "\{\{ \.TOWER_INFLUX_URL \}\}"/);
});

test('without TOWER_V1_PASSWORD Chronograf would skip tower.src, and the error says what to set', () => {
  assert.throws(
    () => readSource({ TOWER_INFLUX_URL: COMPOSE_ENV.TOWER_INFLUX_URL }),
    (err: unknown) => {
      assert.ok(err instanceof ResourceTemplateError);
      assert.match(err.message, /TOWER_V1_PASSWORD is not set/);
      return true;
    },
  );
});

test('values that html/template would rewrite are refused rather than loaded mangled', () => {
  for (const bad of ['a+b', 'a&b', "it's", 'a"b', 'a\\b', 'a<b']) {
    assert.throws(() => renderResourceTemplate('"{{ .P }}"', { P: bad }), ResourceTemplateError, JSON.stringify(bad));
  }
  assert.equal(renderResourceTemplate('"{{.P}}" "{{ .U }}"', { P: 'ab12', U: 'http://nuc:8086/?x=1' }), '"ab12" "http://nuc:8086/?x=1"');
  assert.throws(() => renderResourceTemplate('{{ env "P" }}', { P: 'x' }), /only \{\{ \.NAME \}\} lookups/);
});

test('tower.dashboard has the shape of chronograf.Dashboard and passes the server cell and template checks', () => {
  assert.deepEqual(dashboardProblems(readDashboard()), []);
});

test('every query and the host variable point at the tower source, as /chronograf/v1/sources/<id>', () => {
  const source = readSource(COMPOSE_ENV);
  const dashboard = readDashboard();
  for (const cell of dashboard.cells) {
    for (const q of cell.queries) assert.equal(q.source, `/chronograf/v1/sources/${source.id}`, cell.name);
  }
  for (const t of dashboard.templates) assert.equal(t.sourceID, source.id, t.tempVar);
});

test('every chart reads Labs.autogen.labs, the alerts table _monitoring, over the dashboard time range for :host:, with no unknown variable', () => {
  const dashboard = readDashboard();
  for (const cell of dashboard.cells) {
    for (const { query, type } of cell.queries) {
      assert.equal(type, 'influxql', cell.name);
      assert.ok(query.includes('WHERE time > :dashboardTime: AND time < :upperDashboardTime: AND "host" = :host:'), `${cell.name}: ${query}`);
      assert.deepEqual(undefinedVariables(query, dashboard.templates), [], cell.name);
      if (cell.type === 'table') {
        assert.ok(query.includes('FROM "_monitoring"."autogen"."statuses"'), `${cell.name}: ${query}`);
        assert.match(query, /GROUP BY "_check_name"$/, `${cell.name}: one row per check`);
      } else {
        assert.ok(query.includes(FROM_LABS), `${cell.name}: ${query}`);
        assert.match(query, /GROUP BY time\(:interval:\)/, cell.name);
      }
    }
  }
});

test('the lab charts: memory and CPU_Usage per host, and the network, disk and temperature fields of one host', () => {
  const dashboard = readDashboard();
  const byField = (field: string) => dashboard.cells.filter((c) => c.queries.some((q) => q.query.includes(`"${field}")`)));
  for (const field of ['memory', 'CPU_Usage']) {
    const [cell] = byField(field);
    assert.ok(cell, `no cell charts ${field}`);
    assert.match(cell.queries[0]?.query ?? '', /GROUP BY time\(:interval:\), "host"/, `${field} per host`);
  }
  for (const field of ['rx', 'tx', 'rx_dropped', 'tx_dropped', 'rxError', 'txError', 'disk', 'temp']) {
    const [cell] = byField(field);
    assert.ok(cell, `no cell charts ${field}`);
    assert.ok(cell.queries[0]?.query.includes('"host" = :host:'), `${field} is charted for the chosen host`);
  }
  const [host] = dashboard.templates;
  assert.equal(host?.tempVar, ':host:');
  assert.equal(host?.type, 'tagValues');
  assert.deepEqual(host?.query && renderMetaQuery(host.query), 'SHOW TAG VALUES ON "Labs" FROM "labs" WITH KEY="host"');
});

test('no two cells overlap on the 12-column grid', () => {
  const cells = readDashboard().cells;
  for (const [n, a] of cells.entries()) {
    assert.ok(a.x + a.w <= 12, `${a.name} is wider than the grid`);
    for (const b of cells.slice(n + 1)) {
      const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
      assert.ok(!overlap, `${a.name} overlaps ${b.name}`);
    }
  }
});

test('the shape check finds what Chronograf would reject or silently drop', () => {
  const broken = structuredClone(readDashboard()) as Dashboard & { cells: Record<string, unknown>[] };
  const cell = broken.cells[0] as Record<string, unknown>;
  cell.axes = { z: { bounds: ['', ''], label: '', prefix: '', suffix: '', base: '16', scale: 'exp' } };
  cell.colors = [{ id: 'a', type: 'rainbow', hex: 'red', name: 'x', value: '0' }];
  cell.legend = { type: 'static' };
  cell.queries = [];
  cell.queryies = [];
  (broken.templates[0] as unknown as Record<string, unknown>).type = 'hostnames';
  const problems = dashboardProblems(broken).join('\n');
  for (const expected of [
    'axes.z: only axes x, y and y2',
    'axes.z.base',
    'axes.z.scale',
    'colors[0].type',
    'colors[0].hex',
    'legend',
    'queries: expected a non-empty array',
    'queryies: not a field Chronograf reads',
    'templates[0].type',
  ]) {
    assert.ok(problems.includes(expected), `expected a problem about ${expected}; got:\n${problems}`);
  }
  assert.match(
    sourceProblems({ id: 7, name: 'x', type: 'influxdb', url: 'nuc:8086', organization: '' }).join('\n'),
    /id: expected an integer in a string[\s\S]*type[\s\S]*url[\s\S]*organization/,
  );
});

test('queries are rendered the way the UI does: range constants as is, tag values quoted, :interval: = range / 360', () => {
  const query = 'SELECT mean("temp") FROM "labs" WHERE time > :dashboardTime: AND time < :upperDashboardTime: AND "host" = :host: GROUP BY time(:interval:)';
  const rendered = renderCellQuery(query, { lower: 'now() - 15m', tagValues: { ':host:': 'pi4' } });
  assert.equal(rendered, `SELECT mean("temp") FROM "labs" WHERE time > now() - 15m AND time < now() AND "host" = 'pi4' GROUP BY time(:interval:)`);
  assert.equal(renderInterval(rendered, 899_999), rendered.replace(':interval:', '2500ms'));
  assert.equal(renderInterval('GROUP BY time(:interval:)', 3_600_000), 'GROUP BY time(10000ms)');
});
