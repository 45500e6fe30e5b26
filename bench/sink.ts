// npm run bench:sink [-- --messages N] [-- --agents N --seconds S]
// (a) throughput: a topic pre-filled with N Tower samples, drained by the real
//     tower-sink into InfluxDB, next to posting the same points as raw batched
//     line protocol to the same server in the same run; (c) the sink's peak RSS.
// (b) latency: simulated agents at 1 Hz through the agent's own producer,
//     sample time → queryable in InfluxDB, p50/p99.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import pino from 'pino';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { SampleProducer } from '../src/agent/producer.js';
import { toLine } from '../src/consumer/pipeline/lineProtocol.js';
import { influxQL } from '../src/influx/query.js';
import { GZIP_OPTIONS } from '../src/influx/write.js';
import { createKafka } from '../src/kafka/client.js';
import { encodeSample, type Sample, SCHEMA_VERSION, sampleHeaders } from '../src/schema/sample.js';
import { readRssMb } from '../support/fleet/procstat.js';
import { round } from '../support/fleet/summary.js';
import { loadServices, REPO_ROOT } from '../support/services.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const { env, brokers } = loadServices();
const kafka = new Kafka({ clientId: 'tower-bench', brokers, logLevel: logLevel.NOTHING });

function sample(host: string, time: number, i: number): Sample {
  return {
    v: SCHEMA_VERSION,
    host,
    time,
    fields: {
      CPU_Usage: (i % 1000) / 10,
      memory: 3_000_000 + (i % 5000),
      mem_used_percent: 12.5,
      load1: 0.5,
      rx: i * 100,
      tx: i * 50,
      rx_dropped: 0,
      tx_dropped: 0,
      rxError: 0,
      txError: 0,
      disk: 41.3,
    },
  };
}

/** n samples over `hosts` hosts, 1 s apart per host, ending now. */
function samples(prefix: string, n: number, hosts = 1000): Sample[] {
  const start = Date.now() - Math.ceil(n / hosts) * 1000;
  return Array.from({ length: n }, (_, i) => sample(`${prefix}-${i % hosts}`, start + Math.floor(i / hosts) * 1000, i));
}

/**
 * Like `resource`, but keeping the producer's timestamps: the pre-filled samples span the last
 * ~17 minutes, and each message is stamped with its sample's time as if it had arrived live,
 * so the sink's clock check leaves them alone.
 */
async function createTopic(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
    waitForLeaders: true,
  });
  await admin.disconnect();
}

async function prefill(topic: string, list: Sample[]): Promise<number> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = Date.now();
  for (let i = 0; i < list.length; i += 10_000) {
    const messages = list
      .slice(i, i + 10_000)
      .map((s) => ({ key: s.host, value: Buffer.from(encodeSample(s)), headers: sampleHeaders(), timestamp: String(s.time) }));
    await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages });
  }
  await producer.disconnect();
  return (Date.now() - started) / 1000;
}

async function rawLineProtocolRate(list: Sample[]): Promise<number> {
  const url = `${env.TOWER_INFLUX_URL}/api/v2/write?${new URLSearchParams({ org: env.TOWER_INFLUX_ORG ?? 'GIST', bucket: env.TOWER_INFLUX_BUCKET ?? 'Labs', precision: 'ms' })}`;
  const started = Date.now();
  for (let i = 0; i < list.length; i += 5000) {
    const body = list
      .slice(i, i + 5000)
      .map((s) => toLine({ measurement: 'labs', tags: { host: s.host, region: 'GIST' }, fields: s.fields, time: s.time }))
      .join('\n');
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Token ${env.TOWER_INFLUX_TOKEN}`, 'content-encoding': 'gzip' },
      body: gzipSync(body, GZIP_OPTIONS),
    });
    if (response.status !== 204) throw new Error(`raw write failed: HTTP ${response.status} ${await response.text()}`);
  }
  return list.length / ((Date.now() - started) / 1000);
}

function startSink(topic: string, group: string): ChildProcess {
  return spawn(process.execPath, [join(REPO_ROOT, 'dist/consumer/main.js'), 'run', '--topic', topic, '--group', group], {
    env: { ...process.env, ...env, TOWER_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function committedTotal(group: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  await admin.disconnect();
  return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

async function throughput(messages: number): Promise<void> {
  const tag = randomBytes(3).toString('hex');
  const topic = `bench-resource-${tag}`;
  await createTopic(topic);
  const prefillS = await prefill(topic, samples(`bench-sink-${tag}`, messages));
  const rawRate = await rawLineProtocolRate(samples(`bench-raw-${tag}`, messages));
  const group = `bench-sink-${tag}`;
  const sink = startSink(topic, group);
  const started = Date.now();
  let peakRss = 0;
  let done = 0;
  while (done < messages) {
    await sleep(500);
    peakRss = Math.max(peakRss, readRssMb(sink.pid as number) ?? 0);
    // The group coordinator can be briefly unavailable (NOT_COORDINATOR) on a fresh cluster: ask again next round.
    done = await committedTotal(group, topic).catch(() => done);
    if (Date.now() - started > 30 * 60_000) throw new Error(`sink stalled at ${done} of ${messages}`);
  }
  const sinkRate = messages / ((Date.now() - started) / 1000);
  sink.kill('SIGTERM');
  await new Promise((resolve) => sink.once('exit', resolve));
  await deleteTopic(topic);
  console.log(
    JSON.stringify({
      bench: 'sink-throughput',
      messages,
      prefill_s: round(prefillS),
      sink_points_per_s: Math.round(sinkRate),
      raw_line_protocol_points_per_s: Math.round(rawRate),
      ratio: round(sinkRate / rawRate, 2),
    }),
  );
  console.log(JSON.stringify({ bench: 'sink-peak-rss', messages, peak_rss_mb: round(peakRss) }));
}

async function deleteTopic(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
}

async function latency(agents: number, seconds: number): Promise<void> {
  const tag = randomBytes(3).toString('hex');
  const topic = `bench-latency-${tag}`;
  await createTopic(topic);
  const sink = startSink(topic, `bench-latency-${tag}`);
  await sleep(5_000);
  const logger = pino({ level: 'silent' });
  const producers = await Promise.all(
    Array.from({ length: agents }, async (_, a) => {
      const host = `bench-lat-${tag}-${a}`;
      const producer = new SampleProducer(createKafka({ brokers, clientId: `bench-agent-${a}`, logger }), { topic, key: host });
      return { producer, host };
    }),
  );
  const sentAt = new Map<string, number>();
  const arrived: number[] = [];
  let since = Date.now();
  const poller = (async () => {
    const deadline = Date.now() + (seconds + 15) * 1000;
    while (Date.now() < deadline && arrived.length < agents * seconds) {
      const rows = await queryNew(`bench-lat-${tag}-`, since);
      const now = Date.now();
      for (const [time, host] of rows) {
        const key = `${host}@${time}`;
        if (sentAt.has(key)) {
          arrived.push(now - time);
          sentAt.delete(key);
        }
        since = Math.max(since, time - 2000);
      }
      await sleep(50);
    }
  })();
  for (let s = 0; s < seconds; s += 1) {
    const tick = Date.now();
    await Promise.all(
      producers.map(({ producer, host }, a) => {
        const time = Date.now();
        sentAt.set(`${host}@${time}`, time);
        return producer.send([encodeSample(sample(host, time, s * agents + a))]);
      }),
    );
    await sleep(Math.max(0, 1000 - (Date.now() - tick)));
  }
  await poller;
  await Promise.all(producers.map(({ producer }) => producer.disconnect()));
  sink.kill('SIGTERM');
  await new Promise((resolve) => sink.once('exit', resolve));
  await deleteTopic(topic);
  arrived.sort((a, b) => a - b);
  const pct = (p: number) => arrived[Math.min(arrived.length - 1, Math.floor((p / 100) * arrived.length))] ?? Number.NaN;
  console.log(
    JSON.stringify({
      bench: 'sink-latency',
      agents,
      seconds,
      samples: agents * seconds,
      measured: arrived.length,
      missing: sentAt.size,
      p50_ms: pct(50),
      p99_ms: pct(99),
      max_ms: arrived.at(-1),
    }),
  );
}

async function queryNew(prefix: string, since: number): Promise<[number, string][]> {
  const q = `SELECT "CPU_Usage", "host" FROM "labs" WHERE "host" =~ /^${prefix}/ AND time >= ${since}ms`;
  const series = await influxQL({ url: env.TOWER_INFLUX_URL ?? '', token: env.TOWER_INFLUX_TOKEN ?? '' }, 'Labs', q);
  return (series[0]?.values ?? []).map(([time, , host]) => [time as number, host as string]);
}

const args = await yargs(hideBin(process.argv))
  .option('messages', { type: 'number', default: 1_000_000, describe: 'Messages pre-filled for the throughput run' })
  .option('agents', { type: 'number', default: 100, describe: 'Simulated agents for the latency run' })
  .option('seconds', { type: 'number', default: 60, describe: 'Length of the latency run' })
  .option('only', { choices: ['throughput', 'latency'] as const, describe: 'Run one part only' })
  .strict()
  .parseAsync();
if (args.only !== 'latency') await throughput(args.messages);
if (args.only !== 'throughput') await latency(args.agents, args.seconds);
