// Telegraf's Kafka-to-InfluxDB path on the same points, for bench:sink --vs-telegraf PATH.
// Build the binary with `npm run build:telegraf` (scripts/build-telegraf.sh).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { type DrainFigures, measureDrain } from './drain.js';

export interface TelegrafRun {
  brokers: string[];
  /** TOWER_INFLUX_URL, _ORG, _BUCKET and _TOKEN. */
  env: Record<string, string | undefined>;
  /** Pre-filled with one line of line protocol per message. */
  topic: string;
  messages: number;
}

/**
 * inputs.kafka_consumer → outputs.influxdb_v2, batches of 5,000 as the sink writes.
 * kafka_version 4.1.0: with its default, Telegraf's client loops on EOF against Kafka 4.2
 * and commits nothing. The token comes from the environment, never the file or argv.
 */
export function telegrafConfig(run: TelegrafRun, group: string): string {
  const q = JSON.stringify;
  return `[agent]
  interval = "10s"
  flush_interval = "1s"
  metric_batch_size = 5000
  metric_buffer_limit = 100000
  omit_hostname = true
  quiet = true

[[inputs.kafka_consumer]]
  brokers = ${q(run.brokers)}
  topics = [${q(run.topic)}]
  consumer_group = ${q(group)}
  offset = "oldest"
  kafka_version = "4.1.0"
  max_undelivered_messages = 10000
  data_format = "influx"
  influx_timestamp_precision = "1ms"

[[outputs.influxdb_v2]]
  urls = [${q(run.env.TOWER_INFLUX_URL)}]
  token = "\${INFLUX_TOKEN}"
  organization = ${q(run.env.TOWER_INFLUX_ORG ?? 'GIST')}
  bucket = ${q(run.env.TOWER_INFLUX_BUCKET ?? 'Labs')}
  metric_batch_size = 5000
  metric_buffer_limit = 100000
`;
}

/** Runs `binary` with telegrafConfig on a fresh consumer group until it has committed every message. */
export async function drainWithTelegraf(kafka: Kafka, binary: string, run: TelegrafRun): Promise<DrainFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'tower-telegraf-'));
  const group = `${run.topic}-telegraf`;
  const config = join(dir, 'telegraf.conf');
  writeFileSync(config, telegrafConfig(run, group));
  const child = spawn(binary, ['--config', config], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, INFLUX_TOKEN: run.env.TOWER_INFLUX_TOKEN },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    return await measureDrain(kafka, child, { group, topic: run.topic, messages: run.messages });
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
