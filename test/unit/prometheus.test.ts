import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderMetrics } from '../../src/metrics/prometheus.js';

test('metrics render in the Prometheus text format, labels escaped', () => {
  const text = renderMetrics([
    { name: 'tower_samples_total', help: 'Samples taken.', type: 'counter', values: [{ value: 3 }] },
    { name: 'tower_lag', help: 'Lag.', type: 'gauge', values: [{ labels: { partition: '0', note: 'a"b\\c' }, value: 7 }, { value: Number.NaN }] },
  ]);
  assert.equal(
    text,
    '# HELP tower_samples_total Samples taken.\n# TYPE tower_samples_total counter\ntower_samples_total 3\n' +
      '# HELP tower_lag Lag.\n# TYPE tower_lag gauge\ntower_lag{partition="0",note="a\\"b\\\\c"} 7\ntower_lag NaN\n',
  );
});
