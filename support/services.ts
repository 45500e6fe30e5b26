import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { createKafka } from '../src/kafka/client.js';
import { resourceTopicSpec } from '../src/kafka/topics.js';

/** The repository root, found from this file whether it runs from support/ (tsx) or dist-bench/support/ (built). */
export const REPO_ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist-bench/') ? '../..' : '..', import.meta.url));

export class ServicesError extends Error {
  override name = 'ServicesError';
}

/** Where a run reads and writes: the shared services' settings. */
export interface Services {
  brokers: string[];
  influx: InfluxTarget;
  /** Every TOWER_* setting, for the sink processes' environment. */
  env: Record<string, string>;
}

export interface InfluxTarget {
  url: string;
  token: string;
  /** v1 database mapped to the bucket (DBRP). Default `Labs`. */
  db: string;
  /** Default `labs`. */
  measurement: string;
}

/** The settings `npm run services:up` wrote, read the way a user's shell would source them. */
export function servicesEnv(file = join(REPO_ROOT, '.tower/services.env')): Record<string, string> {
  return readEnvFile(file);
}

/** Just the Kafka settings (`.tower/kafka.env`), for tests and benches that need no InfluxDB. */
export function kafkaEnv(file = join(REPO_ROOT, '.tower/kafka.env')): Record<string, string> & { TOWER_BROKERS: string } {
  const env = readEnvFile(file);
  if (!env.TOWER_BROKERS) throw new ServicesError(`no TOWER_BROKERS in ${file}; run npm run services:up first`);
  return env as Record<string, string> & { TOWER_BROKERS: string };
}

/** The TOWER_* settings of a file such as `.tower/services.env`, sourced by bash as a user's shell would. */
export function readEnvFile(file: string): Record<string, string> {
  const out = spawnSync('bash', ['-c', 'set -a; . "$1"; set +a; node -e "process.stdout.write(JSON.stringify(process.env))"', 'env', file], {
    encoding: 'utf8',
    env: {},
  });
  if (out.status !== 0) throw new ServicesError(`cannot read ${file}; run npm run services:up first\n${out.stderr}`);
  const all = JSON.parse(out.stdout) as Record<string, string>;
  return Object.fromEntries(Object.entries(all).filter(([key]) => key.startsWith('TOWER_')));
}

/** Reads `.tower/services.env` (written by `npm run services:up`) into what the fleet and the drills need. */
export function loadServices(file = join(REPO_ROOT, '.tower/services.env')): Services {
  const env = servicesEnv(file);
  const { TOWER_BROKERS: brokers, TOWER_INFLUX_URL: url, TOWER_INFLUX_TOKEN: token } = env;
  if (!brokers || !url || !token) throw new ServicesError(`${file} lacks TOWER_BROKERS, TOWER_INFLUX_URL or TOWER_INFLUX_TOKEN; run npm run services:up again`);
  return { brokers: brokers.split(','), influx: { url, token, db: 'Labs', measurement: 'labs' }, env };
}

/** A kafkajs client built the way the programs build theirs (hosts-file resolution), silent. */
export function benchKafka(brokers: string[], clientId: string): Kafka {
  return createKafka({ brokers, clientId, logger: pino({ level: 'silent' }) });
}

/**
 * Creates `topic` like scripts/services/kafka.sh creates `resource` (3
 * partitions, RF 3, min ISR 2, log-append time); an existing topic is kept.
 */
export async function ensureTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (existing.includes(topic)) return;
    await admin.createTopics({ waitForLeaders: true, topics: [resourceTopicSpec(topic)] });
  } finally {
    await admin.disconnect();
  }
}
