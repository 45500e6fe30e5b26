// What a test run's `tower-sink setup --alert-prefix P` made on the shared
// InfluxDB, removed again: its rules, endpoint (and the secret InfluxDB keeps
// apart), checks, and their statuses.
import { endpointSecretKeys } from '../../src/consumer/setup/alertingPlan.js';
import { InfluxMonitoring } from '../../src/influx/monitoring.js';
import { influxRequest } from '../../src/influx/request.js';
import { env } from './sinkHarness.js';

const influx = { url: env.TOWER_INFLUX_URL ?? '', token: env.TOWER_INFLUX_TOKEN ?? '' };

export async function removeAlerting(orgID: string, prefix: string): Promise<void> {
  const monitoring = new InfluxMonitoring(influx.url, influx.token);
  const mine = (name: string) => name.startsWith(`${prefix} `);
  for (const rule of (await monitoring.listRules(orgID)).filter((r) => mine(r.name))) await monitoring.deleteRule(rule.id);
  for (const endpoint of (await monitoring.listEndpoints(orgID)).filter((e) => mine(e.name))) {
    await monitoring.deleteEndpoint(endpoint.id);
    await monitoring.deleteSecrets(orgID, endpointSecretKeys(endpoint));
  }
  for (const check of (await monitoring.listChecks(orgID)).filter((c) => mine(c.name))) await monitoring.deleteCheck(check.id);
  await influxRequest(influx.url, {
    method: 'POST',
    path: `/api/v2/delete?${new URLSearchParams({ org: 'GIST', bucket: '_monitoring' })}`,
    credentials: { token: influx.token },
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ start: '1970-01-01T00:00:00Z', stop: new Date(Date.now() + 60_000).toISOString(), predicate: `tower_alerts="${prefix}"` }),
  });
}
