// npm run bench:sink [-- --messages N] [-- --agents N --seconds S] [-- --vs-telegraf PATH]
// (a) throughput: a topic pre-filled with N Tower samples, drained by the real
//     tower-sink into InfluxDB, next to posting the same points as raw batched
//     line protocol in the same run, one request at a time
//     and with RAW_IN_FLIGHT requests in flight (the ceiling); (c) the sink's
//     CPU per 1,000 points and peak RSS. With --vs-telegraf PATH, that Telegraf
//     drains the same points as line protocol from a twin topic in the same run.
//     Each of these writers gets a fresh InfluxDB of its own (support/influxd.ts).
// (b) latency: simulated agents at 1 Hz through the agent's own producer,
//     sample time → queryable in InfluxDB, p50/p99.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CompressionTypes, Kafka, logLevel, type Message, Partitioners } from 'kafkajs';
import pino from 'pino';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { SampleProducer } from '../src/agent/producer.js';
import { toLine } from '../src/consumer/pipeline/lineProtocol.js';
import { influxQL } from '../src/influx/query.js';
import { GZIP_OPTIONS } from '../src/influx/write.js';
import { createKafka } from '../src/kafka/client.js';
import { encodeSample, type Sample, SCHEMA_VERSION, sampleHeaders } from '../src/schema/sample.js';
import { round } from '../support/fleet/summary.js';
import { startPrivateInflux } from '../support/influxd.js';
import { loadServices, REPO_ROOT } from '../support/services.js';
import { measureDrain } from './drain.js';
import { drainWithTelegraf } from './telegraf.js';

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

const toLabsLine = (s: Sample) => toLine({ measurement: 'labs', tags: { host: s.host, region: 'GIST' }, fields: s.fields, time: s.time });
const towerMessage = (s: Sample): Message => ({ key: s.host, value: Buffer.from(encodeSample(s)), headers: sampleHeaders(), timestamp: String(s.time) });

/** The same point as one line of line protocol, under its own host names so that both drains can be counted apart. */
const lineProtocolMessage =
  (hostPrefix: string) =>
  (s: Sample): Message => {
    const host = s.host.replace(/^.*-(\d+)$/, `${hostPrefix}-$1`);
    return { key: host, value: toLabsLine({ ...s, host }), timestamp: String(s.time) };
  };

/** Same partitions (keyed by host), same compression, 10,000 messages a request. */
async function prefill(topic: string, list: Sample[], toMessage: (s: Sample) => Message): Promise<number> {
  await createTopic(topic);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = Date.now();
  for (let i = 0; i < list.length; i += 10_000) {
    await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: list.slice(i, i + 10_000).map(toMessage) });
  }
  await producer.disconnect();
  return (Date.now() - started) / 1000;
}

/** Where the throughput run writes: TOWER_INFLUX_URL, _ORG, _BUCKET and _TOKEN. */
type InfluxEnv = Record<string, string | undefined>;

/** Requests in flight for the raw ceiling: more than this gains InfluxDB nothing on 2 cores. */
const RAW_IN_FLIGHT = 4;

type Body = ReturnType<typeof gzipSync>;

async function postLines(influx: InfluxEnv, body: Body, encoding: 'gzip' | 'identity'): Promise<void> {
  const query = new URLSearchParams({ org: influx.TOWER_INFLUX_ORG ?? 'GIST', bucket: influx.TOWER_INFLUX_BUCKET ?? 'Labs', precision: 'ms' });
  const response = await fetch(`${influx.TOWER_INFLUX_URL}/api/v2/write?${query}`, {
    method: 'POST',
    headers: { authorization: `Token ${influx.TOWER_INFLUX_TOKEN}`, 'content-encoding': encoding },
    body,
  });
  if (response.status !== 204) throw new Error(`raw write failed: HTTP ${response.status} ${await response.text()}`);
}

const linesOf = (list: Sample[], i: number): Body =>
  Buffer.from(
    list
      .slice(i, i + 5000)
      .map(toLabsLine)
      .join('\n'),
  );

/** One request at a time, each 5,000 lines built and gzipped in the loop, as a simple client would. */
async function rawLineProtocolRate(influx: InfluxEnv, list: Sample[]): Promise<number> {
  const started = Date.now();
  for (let i = 0; i < list.length; i += 5000) await postLines(influx, gzipSync(linesOf(list, i), GZIP_OPTIONS), 'gzip');
  return list.length / ((Date.now() - started) / 1000);
}

/**
 * The ceiling: bodies built before the clock starts, uncompressed as the sink sends them to a
 * loopback InfluxDB, RAW_IN_FLIGHT requests in flight.
 */
async function rawCeilingRate(influx: InfluxEnv, list: Sample[]): Promise<number> {
  const bodies: Body[] = [];
  for (let i = 0; i < list.length; i += 5000) bodies.push(linesOf(list, i));
  const started = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) await postLines(influx, bodies[next++] as Body, 'identity');
  };
  await Promise.all(Array.from({ length: RAW_IN_FLIGHT }, worker));
  return list.length / ((Date.now() - started) / 1000);
}

/** Node flags (e.g. --cpu-prof) and tower-sink options for the throughput run's sink. */
interface SinkLaunch {
  nodeArgs: string[];
  sinkArgs: string[];
}

/** The node flags on tower-sink's shebang line: the bench runs it as its bin (systemd, Docker) runs. */
function binNodeFlags(entry: string): string[] {
  const shebang = readFileSync(entry, 'utf8').split('\n', 1)[0] ?? '';
  const flags = /^#!\/usr\/bin\/env -S node(.*)$/.exec(shebang)?.[1] ?? '';
  return flags.split(' ').filter((flag) => flag !== '');
}

function startSink(topic: string, group: string, launch: SinkLaunch = { nodeArgs: [], sinkArgs: [] }, influx: InfluxEnv = env): ChildProcess {
  const entry = join(REPO_ROOT, 'dist/consumer/main.js');
  const args = [...binNodeFlags(entry), ...launch.nodeArgs, entry, 'run', '--topic', topic, '--group', group, ...launch.sinkArgs];
  return spawn(process.execPath, args, {
    env: { ...process.env, ...env, ...influx, TOWER_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

interface ThroughputOptions {
  messages: number;
  launch: SinkLaunch;
  telegraf?: string;
}

/**
 * Runs `write` against an InfluxDB of its own, fresh and empty, so that no writer of the run
 * meets another's data or its compactions, nor whatever the development services hold.
 */
async function withFreshInflux<T>(write: (influx: InfluxEnv) => Promise<T>): Promise<T> {
  const server = await startPrivateInflux();
  try {
    return await write({ TOWER_INFLUX_URL: server.url, TOWER_INFLUX_TOKEN: server.token, TOWER_INFLUX_ORG: server.org, TOWER_INFLUX_BUCKET: server.bucket });
  } finally {
    await server.stop();
  }
}

async function throughput({ messages, launch, telegraf }: ThroughputOptions): Promise<void> {
  const tag = randomBytes(3).toString('hex');
  const topic = `bench-resource-${tag}`;
  const twin = `bench-telegraf-${tag}`;
  const list = samples(`bench-sink-${tag}`, messages);
  const prefillS = await prefill(topic, list, towerMessage);
  if (telegraf) await prefill(twin, list, lineProtocolMessage(`bench-telegraf-${tag}`));
  const rawRate = await withFreshInflux((influx) => rawLineProtocolRate(influx, list));
  const ceiling = await withFreshInflux((influx) => rawCeilingRate(influx, list));
  const group = `bench-sink-${tag}`;
  const sink = await withFreshInflux((influx) =>
    measureDrain(kafka, startSink(topic, group, launch, influx), { group, topic, messages }).finally(() => deleteTopic(topic)),
  );
  const vs = telegraf
    ? await withFreshInflux((influx) => drainWithTelegraf(kafka, telegraf, { brokers, env: influx, topic: twin, messages }).finally(() => deleteTopic(twin)))
    : undefined;
  const rates = { raw_line_protocol_points_per_s: Math.round(rawRate), raw_ceiling_points_per_s: Math.round(ceiling), raw_ceiling_in_flight: RAW_IN_FLIGHT };
  if (vs) {
    const vsTelegraf = { sink_over_telegraf: round(sink.points_per_s / vs.points_per_s, 2), sink_over_ceiling: round(sink.points_per_s / ceiling, 2) };
    console.log(JSON.stringify({ bench: 'sink-vs-telegraf', messages, prefill_s: round(prefillS), tower_sink: sink, telegraf: vs, ...rates, ...vsTelegraf }));
    return;
  }
  console.log(
    JSON.stringify({
      bench: 'sink-throughput',
      messages,
      prefill_s: round(prefillS),
      sink_points_per_s: sink.points_per_s,
      sink_cpu_ms_per_1000_points: sink.cpu_ms_per_1000_points,
      ...rates,
      ratio: round(sink.points_per_s / rawRate, 2),
      ratio_to_ceiling: round(sink.points_per_s / ceiling, 2),
    }),
  );
  console.log(JSON.stringify({ bench: 'sink-peak-rss', messages, peak_rss_mb: sink.peak_rss_mb }));
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
  .option('vs-telegraf', { type: 'string', describe: 'Telegraf binary (npm run build:telegraf) that drains the same points in the same run' })
  .option('cpu-prof', { type: 'string', describe: "Write a V8 CPU profile of the throughput run's sink to this directory" })
  .option('node-arg', { type: 'string', array: true, default: [] as string[], describe: "Extra node flags for the throughput run's sink" })
  .option('sink-arg', { type: 'string', array: true, default: [] as string[], describe: "Extra tower-sink run options for the throughput run's sink" })
  .strict()
  .parseAsync();
const nodeArgs = [...args.nodeArg, ...(args.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', args.cpuProf] : [])];
// --vs-telegraf compares drains alone: the latency run is not repeated.
const only = args.vsTelegraf ? 'throughput' : args.only;
if (only !== 'latency') await throughput({ messages: args.messages, launch: { nodeArgs, sinkArgs: args.sinkArg }, telegraf: args.vsTelegraf });
if (only !== 'throughput') await latency(args.agents, args.seconds);
