import { readFileSync } from 'node:fs';
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

/** Reads `.tower/services.env` (written by `npm run services:up`). */
export function loadServices(file = join(REPO_ROOT, '.tower/services.env')): Services {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ServicesError(`cannot read ${file}; run npm run services:up first`);
  }
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^(TOWER_\w+)=(.*)$/.exec(line.trim());
    if (match) env[match[1] as string] = (match[2] as string).replace(/^'(.*)'$/, '$1');
  }
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
