import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka, Producer, ProducerConfig } from 'kafkajs';
import pino, { type Logger } from 'pino';
import { Delivery } from '../../src/agent/delivery.js';
import { type RecordSender, SampleProducer } from '../../src/agent/producer.js';
import { Spool } from '../../src/agent/spool.js';
import { encodeSample, type Fields, SCHEMA_VERSION } from '../../src/schema/sample.js';
import { benchKafka } from '../services.js';
import { addTimes, type SentLog } from './reconcile.js';

/** What one process of simulated Pis is asked to run. */
export interface FlockOptions {
  brokers: string[];
  topic: string;
  /** Host names of the Pis this process runs. */
  hosts: string[];
  /** kafkajs client id of this process' shared producer. */
  clientId: string;
  /** pino level for the agents' own log lines (to stderr). Default `silent`. */
  logLevel?: string;
}

export interface FlockStats {
  /** Samples put in the spools. */
  enqueued: number;
  /** Samples Kafka acknowledged. */
  sent: number;
  /** Failed produce requests (each is retried by Delivery). */
  sendErrors: number;
  /** Samples waiting in the spools now. */
  spooled: number;
  /** Seconds skipped because this process fell more than MAX_BEHIND_MS behind (starved of CPU). */
  missedTicks: number;
  /** Samples not taken because of those skipped seconds. */
  missedSamples: number;
  /** Longest delay of a tick after its second began, ms (late seconds are caught up on). */
  tickLagMaxMs: number;
}

/**
 * One simulated Pi: the agent's own Spool, Delivery and SampleProducer path,
 * with synthetic /proc figures. A RecordSender wrapper notes, per sample, the
 * time Kafka acknowledged — after the real producer's send resolved.
 */
class SimulatedPi {
  readonly acked: number[] = [];
  readonly spool: Spool;
  /**
   * Times of the samples not yet acknowledged, oldest first. The spool is
   * first in, first out and Delivery only ever sends its head, so an
   * acknowledged batch is always the oldest pending samples: no need to
   * decode them again. (A fleet spool never fills in a bounded run: 64 MB
   * holds days of samples.)
   */
  private readonly pending: number[] = [];
  readonly delivery: Delivery;
  private lastTime = 0;
  private cpu = Math.random() * 30;
  private bytes = Math.floor(Math.random() * 1e9);

  constructor(
    readonly host: string,
    spoolDir: string,
    producer: RecordSender,
    logger: Logger,
  ) {
    this.spool = new Spool(spoolDir);
    const recording: RecordSender = {
      send: async (records) => {
        await producer.send(records);
        for (const time of this.pending.splice(0, records.length)) this.acked.push(time);
      },
    };
    this.delivery = new Delivery(this.spool, recording, logger.child({ host }));
    this.delivery.start();
  }

  sample(): void {
    // Two catch-up samples in one millisecond would be one point in InfluxDB.
    this.lastTime = Math.max(Date.now(), this.lastTime + 1);
    this.pending.push(this.lastTime);
    this.delivery.enqueue(encodeSample({ v: SCHEMA_VERSION, host: this.host, time: this.lastTime, fields: this.fields() }));
  }

  private fields(): Fields {
    this.cpu = Math.min(100, Math.max(0, this.cpu + (Math.random() - 0.5) * 10));
    this.bytes += Math.floor(Math.random() * 50_000);
    const available = 3_200_000 + Math.floor(Math.random() * 400_000);
    return {
      CPU_Usage: Math.round(this.cpu * 100) / 100,
      memory: available,
      mem_used_percent: Math.round(((3_884_000 - available) / 3_884_000) * 10_000) / 100,
      load1: Math.round(this.cpu * 4) / 100,
      tx: this.bytes,
      rx: this.bytes * 3,
      tx_dropped: 0,
      rx_dropped: 0,
      txError: 0,
      rxError: 0,
      disk: 41.3,
      temp: Math.round((45 + this.cpu / 5) * 10) / 10,
    };
  }
}

/** How late a second may be sampled; later ones are skipped and counted. */
const MAX_BEHIND_MS = 10_000;

/**
 * One real kafkajs producer behind the SampleProducers of every Pi in this
 * process. Each Pi still sends through its own SampleProducer (its messages,
 * key, headers, acks=-1, gzip, retries), but connecting happens once, and the
 * disconnect a SampleProducer does after a failed send is not passed on:
 * otherwise one Pi's timeout would fail every other Pi's send in flight.
 */
class SharedProducer {
  private real: Producer | undefined;
  private connecting: Promise<void> | undefined;

  constructor(private readonly kafka: Kafka) {}

  /** What SampleProducer's constructor needs of a Kafka client. */
  asKafka(): Kafka {
    return { producer: (config?: ProducerConfig) => this.view(config) } as unknown as Kafka;
  }

  disconnect(): Promise<void> {
    return this.real?.disconnect() ?? Promise.resolve();
  }

  private view(config?: ProducerConfig): Producer {
    this.real ??= this.kafka.producer(config);
    const real = this.real;
    const view: Pick<Producer, 'connect' | 'send' | 'disconnect'> = {
      connect: () =>
        (this.connecting ??= real.connect().catch((err: Error) => {
          this.connecting = undefined;
          throw err;
        })),
      send: (record) => real.send(record),
      disconnect: async () => undefined,
    };
    return view as Producer;
  }
}

/**
 * A set of simulated Pis in this process, each with its own SampleProducer
 * over one shared kafkajs producer, sampled together at the start of every
 * second (as cron on NTP-synced Pis does).
 */
export class Flock {
  private readonly pis: SimulatedPi[];
  private readonly producer: SharedProducer;
  private readonly spoolRoot: string;
  private timer: NodeJS.Timeout | undefined;
  private nextTick = 0;
  private readonly counters = { enqueued: 0, missedTicks: 0, missedSamples: 0, tickLagMaxMs: 0 };

  constructor(options: FlockOptions) {
    const logger = pino({ level: options.logLevel ?? 'silent' }, pino.destination(2));
    this.producer = new SharedProducer(benchKafka(options.brokers, options.clientId));
    this.spoolRoot = mkdtempSync(join(tmpdir(), 'tower-fleet-'));
    // Spools of a run that is interrupted (Ctrl-C, a killed runner) go too.
    process.once('exit', this.removeSpools);
    const kafka = this.producer.asKafka();
    this.pis = options.hosts.map(
      (host) => new SimulatedPi(host, join(this.spoolRoot, host), new SampleProducer(kafka, { topic: options.topic, key: host }), logger),
    );
  }

  /** Starts sampling; returns when the first sample is due (the next whole second), ms. */
  start(): number {
    this.nextTick = Math.ceil(Date.now() / 1000) * 1000;
    this.schedule();
    return this.nextTick;
  }

  get stats(): FlockStats {
    let sent = 0;
    let sendErrors = 0;
    let spooled = 0;
    for (const pi of this.pis) {
      sent += pi.delivery.stats.sent;
      sendErrors += pi.delivery.stats.sendErrors;
      spooled += pi.spool.length;
    }
    return { ...this.counters, sent, sendErrors, spooled };
  }

  /**
   * Stops sampling, lets the spools drain for up to `drainMs`, then stops the
   * deliveries (each waits up to `graceMs` for its send in flight) and removes
   * the spools. Returns what Kafka acknowledged.
   */
  async stop(drainMs: number, graceMs: number): Promise<SentLog> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + drainMs;
    while (this.stats.spooled > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    await Promise.all(this.pis.map((pi) => pi.delivery.stop(graceMs)));
    await this.producer.disconnect().catch(() => undefined);
    for (const pi of this.pis) pi.spool.close();
    this.removeSpools();
    process.off('exit', this.removeSpools);
    const log: SentLog = new Map();
    for (const pi of this.pis) addTimes(log, pi.host, pi.acked);
    return log;
  }

  private readonly removeSpools = (): void => rmSync(this.spoolRoot, { recursive: true, force: true });

  private schedule(): void {
    this.timer = setTimeout(() => this.tick(), Math.max(0, this.nextTick - Date.now()));
  }

  private tick(): void {
    // A simulated Pi stands for a machine of its own, whose clock does not
    // stall when this process waits for CPU: a late second is still sampled
    // (at the real time it is taken), unless this process is so far behind
    // that catching up would only pile up work; those seconds are counted.
    for (;;) {
      const now = Date.now();
      if (this.nextTick > now) break;
      if (now - this.nextTick > MAX_BEHIND_MS) {
        this.counters.missedTicks += 1;
        this.counters.missedSamples += this.pis.length;
      } else {
        this.counters.tickLagMaxMs = Math.max(this.counters.tickLagMaxMs, now - this.nextTick);
        for (const pi of this.pis) pi.sample();
        this.counters.enqueued += this.pis.length;
      }
      this.nextTick += 1000;
    }
    this.schedule();
  }
}
