import type { Kafka } from 'kafkajs';
import {
  type Fleet,
  type Reconciliation,
  readStored,
  reconcile,
  type SinkHandle,
  startFleet,
  startGroupAtEnd,
  startSinks,
  stopSinks,
  waitForGroup,
} from '../../support/fleet/index.js';
import type { Stack } from '../../support/stack.js';
import { LagProbe } from './lag.js';
import { type BacklogObservation, doneWatching, recoveryMs, steadyBacklog } from './verdict.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface StreamOptions {
  stack: Stack;
  kafka: Kafka;
  /** Simulated Pis. */
  agents: number;
  /** Names this drill's hosts and consumer group. */
  tag: string;
  /** tower-sink processes in the group. Default 2. */
  sinks?: number;
  /** Stream before the fault; the last half sets the steady backlog. Default 20 000 ms. */
  warmupMs?: number;
  /** How long the backlog must stay drained to count as recovered. Default 3 000 ms. */
  holdMs?: number;
  /** Longest watch after the fault's end. Default 120 000 ms. */
  watchMs?: number;
  /** Where the watcher reports the backlog every 10 s while it waits. */
  progress: (message: string) => void;
}

/** Streams started and not yet closed, for killStreamsSync on an abrupt exit. */
const open = new Set<DrillStream>();

/** For exit paths: SIGKILLs the sinks and fleet workers of every open stream, so that a repair runs on a quiet machine. */
export function killStreamsSync(): void {
  for (const stream of open) stream.killSync();
}

export class DrillError extends Error {
  override name = 'DrillError';
}

/**
 * One drill's load: a fresh consumer group of real sinks starting at the
 * topic's end, a fleet of simulated Pis streaming into `resource`, and a
 * watcher that looks at the backlog (samples spooled by the fleet plus the
 * group's lag) once a second. `notDrained` lets a drill add its own condition
 * (a real Pi's spool), which marks a look as held, not drained, while it holds.
 */
export class DrillStream {
  readonly group: string;
  readonly hostPrefix: string;
  readonly observations: BacklogObservation[] = [];
  sinks: SinkHandle[] = [];
  private fleet: Fleet | undefined;
  private sent: Map<string, number[]> | undefined;
  private readonly lag: LagProbe;
  private watching = true;
  private watcher: Promise<void> | undefined;
  private readonly startedAt = Date.now();
  /** The last look's parts: the group's lag, samples spooled in the fleet, the drill's hold. */
  lastLook = { lag: Number.NaN, spooled: 0, held: false };
  notDrained: () => Promise<boolean> = async () => false;

  constructor(readonly options: StreamOptions) {
    this.group = `tower-drills-${options.tag}`;
    this.hostPrefix = `drill-${options.tag}-fleet-`;
    this.lag = new LagProbe(options.kafka, this.group, 'resource');
  }

  async start(): Promise<void> {
    const { kafka, stack, agents } = this.options;
    open.add(this);
    await startGroupAtEnd(kafka, this.group, 'resource');
    this.sinks = startSinks(this.options.sinks ?? 2, { topic: 'resource', group: this.group, env: stack.services.env });
    if (!(await waitForGroup(kafka, this.group, this.sinks.length, 60_000))) {
      throw new DrillError(
        `the ${this.sinks.length} sinks did not join group ${this.group} within 60 s:\n${this.sinks.map((s) => s.output().slice(-800)).join('\n')}`,
      );
    }
    this.fleet = await startFleet({ agents, brokers: stack.services.brokers, hostPrefix: this.hostPrefix });
    this.watcher = this.watch();
  }

  /** Streams for the warm-up; returns the steady backlog seen in its second half (never below one second of samples). */
  async warmUp(): Promise<number> {
    const warmupMs = this.options.warmupMs ?? 20_000;
    await sleep(warmupMs);
    const since = Date.now() - warmupMs / 2;
    return steadyBacklog(
      this.observations.filter((o) => o.atMs >= since),
      this.options.agents,
    );
  }

  /** Waits until the backlog has stayed at or below `threshold` for the hold time, or the watch ends; the recovery time. */
  async recovery(faultEndMs: number, threshold: number): Promise<number | undefined> {
    const holdMs = this.options.holdMs ?? 3_000;
    const watchMs = this.options.watchMs ?? 120_000;
    let reported = Date.now();
    while (!doneWatching(faultEndMs, this.observations, threshold, holdMs, Date.now(), watchMs)) {
      await sleep(500);
      if (Date.now() - reported >= 10_000) {
        reported = Date.now();
        const { lag, spooled, held } = this.lastLook;
        this.options.progress(`backlog: lag ${lag}, spooled in the fleet ${spooled}${held ? ', held by the drill' : ''}; drained at ≤ ${threshold}`);
      }
    }
    return recoveryMs(faultEndMs, this.observations, threshold, holdMs);
  }

  /**
   * Stops the fleet (letting its spools drain), waits until the sinks have
   * committed everything, and compares what Kafka acknowledged with InfluxDB.
   */
  async finish(): Promise<Reconciliation & { unsentAtStop: number; lagAtEnd: number }> {
    const fleet = this.fleet as Fleet;
    // A loaded machine drains slowly; what is still spooled after this is reported, not counted as sent.
    const sent = await fleet.stop({ drainMs: 60_000 });
    this.sent = sent;
    const unsentAtStop = fleet.stats().spooled;
    const lagAtEnd = await this.drainLag(90_000);
    this.watching = false;
    await this.watcher;
    const { influx } = this.options.stack.services;
    const stored = await readStored(influx, this.hostPrefix, this.startedAt - 60_000, Date.now() + 60_000, fleet.hosts.length);
    return { ...reconcile(sent, stored), unsentAtStop, lagAtEnd };
  }

  /** Polls the group's lag until it is 0 or `timeoutMs` passes; the last lag read. */
  async drainLag(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let lag = await this.lag.lag();
    while (lag !== 0 && Date.now() < deadline) {
      await sleep(1_000);
      lag = await this.lag.lag();
    }
    return lag;
  }

  /** Stops whatever still runs; safe to call more than once. */
  async close(): Promise<void> {
    this.watching = false;
    if (this.fleet && !this.sent) await this.fleet.stop({ drainMs: 0 }).catch(() => undefined);
    this.sent ??= new Map();
    await this.watcher;
    await stopSinks(this.sinks);
    await this.lag.close();
    open.delete(this);
  }

  killSync(): void {
    for (const sink of this.sinks) sink.kill('SIGKILL');
    for (const pid of this.fleet?.pids ?? []) {
      if (pid === process.pid) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  private async watch(): Promise<void> {
    while (this.watching) {
      const started = Date.now();
      const [lag, held] = await Promise.all([this.lag.lag(), this.notDrained().catch(() => true)]);
      const spooled = this.fleet?.stats().spooled ?? 0;
      this.observations.push({ atMs: started, backlog: lag + spooled, held });
      this.lastLook = { lag, spooled, held };
      await sleep(Math.max(0, 1_000 - (Date.now() - started)));
    }
  }
}
