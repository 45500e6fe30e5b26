// Run by bench/idempotence.ts inside the "Pi" namespace: two agents' delivery
// paths (Spool, Delivery, SampleProducer, as tower-agent runs them), one with
// kafkajs' idempotent producer and one without, each taking 10 samples a
// second of its own host name. On "stop" (stdin) they drain their spools for
// up to 30 s and print, as one JSON line each, what they took and what Kafka
// acknowledged.
//   node --import tsx bench/idempotence/pair.ts BROKERS TOPIC
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka, ProducerConfig } from 'kafkajs';
import pino from 'pino';
import { Delivery } from '../../src/agent/delivery.js';
import { SampleProducer } from '../../src/agent/producer.js';
import { Spool } from '../../src/agent/spool.js';
import { encodeSample, SCHEMA_VERSION } from '../../src/schema/sample.js';
import { sleep } from '../../support/harness.js';
import { benchKafka } from '../../support/services.js';

const PRODUCERS = ['idempotent', 'plain'] as const;
type ProducerKind = (typeof PRODUCERS)[number];

/** What one agent reports when it stops. */
export interface AgentReport {
  producer: ProducerKind;
  /** Sample times taken, in order. */
  taken: number[];
  acknowledged: number;
  stillSpooled: number;
  /** Failed sends by kafkajs error type, and the type of the error each wraps. */
  sendErrors: Record<string, number>;
}

const SAMPLE_EVERY_MS = 100;

/** A Kafka client whose producers get `extra` on top of what SampleProducer asks for. */
function withProducerConfig(kafka: Kafka, extra: ProducerConfig): Kafka {
  return { producer: (config?: ProducerConfig) => kafka.producer({ ...config, ...extra }) } as unknown as Kafka;
}

/** kafkajs' error type, with the error it wraps: `KafkaJSNumberOfRetriesExceeded < REQUEST_TIMED_OUT`. */
function errorKind(err: unknown): string {
  const e = err as { type?: string; name?: string; cause?: unknown; originalError?: unknown };
  const own = e.type ?? e.name ?? 'Error';
  const inner = e.cause ?? e.originalError;
  return inner ? `${own} < ${errorKind(inner)}` : own;
}

class BenchAgent {
  readonly taken: number[] = [];
  readonly sendErrors: Record<string, number> = {};
  readonly spool: Spool;
  readonly delivery: Delivery;
  readonly producer: SampleProducer;

  constructor(
    readonly kind: ProducerKind,
    kafka: Kafka,
    topic: string,
    spoolDir: string,
  ) {
    const extra: ProducerConfig = kind === 'idempotent' ? { idempotent: true, maxInFlightRequests: 1 } : {};
    this.producer = new SampleProducer(withProducerConfig(kafka, extra), { topic, key: kind });
    this.spool = new Spool(spoolDir);
    const counting = {
      send: async (records: Uint8Array[]) => {
        try {
          await this.producer.send(records);
        } catch (err) {
          const kind = errorKind(err);
          this.sendErrors[kind] = (this.sendErrors[kind] ?? 0) + 1;
          throw err;
        }
      },
    };
    this.delivery = new Delivery(this.spool, counting, pino({ level: 'silent' }), { lingerMs: 0 });
    this.delivery.start();
  }

  sample(time: number): void {
    this.taken.push(time);
    this.delivery.enqueue(encodeSample({ v: SCHEMA_VERSION, host: this.kind, time, fields: { seq: this.taken.length } }));
  }

  async stop(): Promise<AgentReport> {
    await this.delivery.stop(3_000);
    await this.producer.disconnect().catch(() => undefined);
    return { producer: this.kind, taken: this.taken, acknowledged: this.delivery.stats.sent, stillSpooled: this.spool.length, sendErrors: this.sendErrors };
  }
}

async function main(): Promise<void> {
  const [brokers, topic] = process.argv.slice(2);
  if (!brokers || !topic) throw new Error('usage: pair.ts BROKERS TOPIC');
  const kafka = benchKafka(brokers.split(','), 'tower-bench-idempotence');
  const spoolRoot = mkdtempSync(join(tmpdir(), 'tower-idempotence-'));
  const agents = PRODUCERS.map((kind) => new BenchAgent(kind, kafka, topic, join(spoolRoot, kind)));
  let last = 0;
  const ticker = setInterval(() => {
    last = Math.max(Date.now(), last + 1);
    for (const agent of agents) agent.sample(last);
  }, SAMPLE_EVERY_MS);
  process.stderr.write('sampling\n');
  await new Promise<void>((resolve) => process.stdin.on('data', (chunk: Buffer) => chunk.toString().includes('stop') && resolve()));
  clearInterval(ticker);
  const drainUntil = Date.now() + 30_000;
  while (agents.some((a) => a.spool.length > 0) && Date.now() < drainUntil) await sleep(200);
  for (const agent of agents) process.stdout.write(`${JSON.stringify(await agent.stop())}\n`);
  rmSync(spoolRoot, { recursive: true, force: true });
  process.exit(0);
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(2);
});
