import type { Kafka } from 'kafkajs';
import { InfluxError, influxRequest } from '../influx/request.js';
import type { InfluxTarget } from '../influx/target.js';
import { type Check, checkBrokers, doctorKafka, printChecks, withTimeout } from '../kafka/doctor.js';
import { groupLag } from '../kafka/lag.js';
import { RESOURCE_TOPIC } from '../kafka/topics.js';
import type { Logger } from '../log.js';
import { retryRetriable } from '../retry/retriable.js';
import type { SinkOptions } from './pipeline/sink.js';

/**
 * Checks everything the sink needs: brokers, topic, consumer group and lag,
 * InfluxDB's health, the token, the bucket and the DBRP mapping. Prints what
 * is wrong and how to fix it; resolves to true if all passed.
 */
export async function runSinkDoctor(options: SinkOptions, logger: Logger, out: (line: string) => void): Promise<boolean> {
  const kafka = doctorKafka(options, logger);
  const checks = await checkBrokers(kafka, { brokers: options.brokers, hostsFile: options.hostsFile, topic: options.topic, settings: RESOURCE_TOPIC });
  if (checks.every((c) => c.ok)) checks.push(await checkGroup(kafka, options));
  checks.push(...(await checkInflux(options.influx)));
  return printChecks(checks, out);
}

async function checkGroup(kafka: Kafka, options: SinkOptions): Promise<Check> {
  const admin = kafka.admin();
  const name = `consumer group ${options.group}`;
  try {
    await withTimeout(admin.connect(), 10_000, 'connecting');
    // Right after a broker restart the coordinator may still be loading or have moved: ask again.
    const [committed, ends, described] = await retryRetriable(() =>
      Promise.all([
        admin.fetchOffsets({ groupId: options.group, topics: [options.topic] }),
        admin.fetchTopicOffsets(options.topic),
        admin.describeGroups([options.group]),
      ]),
    );
    const group = described.groups[0];
    const lag = groupLag(ends, committed[0]?.partitions ?? []);
    return { name, ok: true, detail: `${group?.state ?? 'unknown'}, ${group?.members.length ?? 0} members, ${lag} messages not yet written` };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message, fix: 'check the brokers (tower-sink doctor lists them above)' };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function checkInflux(target: InfluxTarget): Promise<Check[]> {
  const health = await get(target, '/health');
  if (!health.ok) {
    return [{ name: `InfluxDB ${target.url}`, ok: false, detail: health.error ?? `HTTP ${health.status}`, fix: 'start InfluxDB, or fix --influx-url' }];
  }
  const version = (health.json as { version?: string } | undefined)?.version ?? 'unknown version';
  const checks: Check[] = [{ name: `InfluxDB ${target.url}`, ok: true, detail: `healthy, ${version}` }];
  if (target.api === 'v1') {
    const query = await get(target, `/query?${new URLSearchParams({ db: target.db, rp: target.rp, q: 'SHOW MEASUREMENTS LIMIT 1' })}`);
    checks.push(
      query.ok
        ? { name: `v1 user ${target.user} on ${target.db}/${target.rp}`, ok: true, detail: 'can query' }
        : {
            name: `v1 user ${target.user} on ${target.db}/${target.rp}`,
            ok: false,
            detail: `HTTP ${query.status}`,
            fix: 'run `tower-sink setup` (creates the v1 user and the DBRP mapping, or resets the password), or fix TOWER_V1_PASSWORD / --v1-user',
          },
    );
    return checks;
  }
  const buckets = await get(target, `/api/v2/buckets?${new URLSearchParams({ org: target.org, name: target.bucket })}`);
  if (buckets.status === 401)
    return [...checks, { name: 'token', ok: false, detail: 'HTTP 401', fix: 'set TOWER_INFLUX_TOKEN (or --influx-token-file) to a valid token' }];
  const bucket = (buckets.json as { buckets?: { id: string; orgID: string }[] } | undefined)?.buckets?.[0];
  if (!buckets.ok || !bucket) {
    return [
      ...checks,
      {
        name: `bucket ${target.bucket}`,
        ok: false,
        detail: `not found in org ${target.org} (HTTP ${buckets.status})`,
        fix: 'create it, or fix --influx-org / --influx-bucket',
      },
    ];
  }
  checks.push({ name: `token and bucket ${target.org}/${target.bucket}`, ok: true, detail: `bucket ${bucket.id}` });
  const dbrps = await get(target, `/api/v2/dbrps?${new URLSearchParams({ orgID: bucket.orgID, bucketID: bucket.id })}`);
  const mappings = (dbrps.json as { content?: { database: string; retention_policy: string }[] } | undefined)?.content ?? [];
  checks.push(
    mappings.length > 0
      ? { name: 'DBRP mapping', ok: true, detail: mappings.map((m) => `${m.database}/${m.retention_policy}`).join(', ') }
      : {
          name: 'DBRP mapping',
          ok: false,
          detail: `no v1 mapping to bucket ${target.bucket}`,
          fix: "run `tower-sink setup` to create it (Chronograf's InfluxQL queries need it)",
        },
  );
  return checks;
}

/** A GET as the sink's own target; failures come back as a status (0: no answer), never thrown. */
async function get(target: InfluxTarget, path: string): Promise<{ ok: boolean; status: number; json?: unknown; error?: string }> {
  try {
    const response = await influxRequest(target.url, { path, credentials: target });
    return { ok: true, status: response.status, json: parseJson(response.text) };
  } catch (err) {
    if (!(err instanceof InfluxError)) throw err;
    return { ok: false, status: err.status, json: parseJson(err.body), error: err.status === 0 ? err.message : undefined };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
