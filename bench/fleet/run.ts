import { randomBytes } from 'node:crypto';
import { startFleet } from '../../support/fleet/fleet.js';
import {
  type LagFigures,
  LagSampler,
  type LatencyFigures,
  LatencyProbe,
  type MachineFigures,
  type ProcessFigures,
  ProcessSampler,
} from '../../support/fleet/probes.js';
import { pidsListeningOn } from '../../support/fleet/procstat.js';
import { type Reconciliation, reconcile } from '../../support/fleet/reconcile.js';
import { type SinkHandle, startGroupAtEnd, startSinks, stopSinks, waitForGroup } from '../../support/fleet/sinks.js';
import { readStored, waitForStored } from '../../support/fleet/stored.js';
import { benchKafka, ensureTopic, loadServices } from '../../support/services.js';

export interface FleetRunOptions {
  agents: number;
  seconds: number;
  /** Default 1; 0 runs no sink (then everything sent is reported lost: a check of the check). */
  sinks?: number;
  /** Default `resource`; created like `resource` if missing. */
  topic?: string;
  /** Default `fleet-<6 hex>-`. */
  hostPrefix?: string;
  /** See FleetOptions.workers. */
  workers?: number;
  /** After the last sample, how long the agents' spools may take to empty, s. Default 30. */
  drainS?: number;
  /** Then how long to wait for InfluxDB to hold everything sent, s. Default 120. */
  settleS?: number;
  /** Hosts whose end-to-end latency is measured. Default 20. */
  latencyHosts?: number;
  /** pino level of the simulated agents' log lines (stderr). Default `silent`. */
  agentLogLevel?: string;
  /** Progress lines on stderr every this many seconds; 0 = none. Default 10. */
  progressS?: number;
}

export interface FleetRunResult extends Omit<Reconciliation, 'lostExamples' | 'extraExamples'> {
  agents: number;
  seconds: number;
  sinks: number;
  workers: number;
  topic: string;
  host_prefix: string;
  started: string;
  /** Samples still in the agents' spools when the fleet stopped (neither sent nor lost). */
  unsent: number;
  /** Samples not taken because the simulator fell more than 10 s behind (late seconds up to that are caught up on). */
  missed_samples: number;
  /** Latest a second was sampled after it began, ms. */
  tick_lag_max_ms: number;
  send_errors: number;
  /** Seconds from the fleet's stop until InfluxDB held everything sent (or the settle limit). */
  settle_s: number;
  latency: LatencyFigures;
  lag: LagFigures;
  /**
   * Per process group while the fleet ran: sink-0…, fleet (the simulator's processes), kafka (3 brokers),
   * influxd, runner (this process: probes and, with workers = 0, the Pis too).
   */
  cpu_rss: Record<string, ProcessFigures>;
  /** The whole machine (2 cores, shared) while the fleet ran. */
  machine: MachineFigures;
  lost_examples: string[];
  extra_examples: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One bounded run: sinks, fleet, measurements, reconciliation. Cleans up after itself even when it fails. */
export async function runFleet(options: FleetRunOptions): Promise<FleetRunResult> {
  const tag = randomBytes(3).toString('hex');
  const topic = options.topic ?? 'resource';
  const sinkCount = options.sinks ?? 1;
  const group = `tower-fleet-${tag}`;
  const services = loadServices();
  const kafka = benchKafka(services.brokers, `tower-fleet-run-${tag}`);
  await ensureTopic(kafka, topic);
  await startGroupAtEnd(kafka, group, topic);
  let sinks: SinkHandle[] = [];
  let fleetPids: readonly number[] = [];
  let stopFleet: (() => Promise<unknown>) | undefined;
  try {
    sinks = startSinks(sinkCount, { topic, group, env: services.env });
    if (sinkCount > 0 && !(await waitForGroup(kafka, group, sinkCount, 60_000))) {
      throw new Error(`the ${sinkCount} sink(s) did not form a stable group within 60 s:\n${sinks.map((s) => s.output()).join('\n')}`);
    }
    const lagSampler = await LagSampler.start(kafka, group, topic);
    const groups: Record<string, () => readonly number[]> = {};
    for (const sink of sinks) groups[`sink-${sink.index}`] = () => (sink.pid ? [sink.pid] : []);
    const brokers = pidsListeningOn(services.brokers.map((b) => Number(b.split(':')[1])));
    const influxd = pidsListeningOn([Number(new URL(services.influx.url).port || 80)]);
    Object.assign(groups, { fleet: () => fleetPids, kafka: () => brokers, influxd: () => influxd, runner: () => [process.pid] });
    const processes = new ProcessSampler(groups);

    const fleet = await startFleet({
      agents: options.agents,
      brokers: services.brokers,
      topic,
      hostPrefix: options.hostPrefix ?? `fleet-${tag}-`,
      workers: options.workers,
      logLevel: options.agentLogLevel,
    });
    stopFleet = () => fleet.stop({ drainMs: 0, graceMs: 1_000 });
    fleetPids = fleet.pids;
    const latencyHosts = fleet.hosts.slice(0, options.latencyHosts ?? 20);
    const latencyProbe = new LatencyProbe(services.influx, latencyHosts, fleet.startedAt);
    const endAt = fleet.startedAt + options.seconds * 1000;
    const progressMs = (options.progressS ?? 10) * 1000;
    while (Date.now() < endAt - 500) {
      await sleep(Math.min(progressMs || 1000, endAt - 500 - Date.now()));
      if (progressMs) {
        const s = fleet.stats();
        process.stderr.write(
          `fleet: ${Math.round((Date.now() - fleet.startedAt) / 1000)} s, sent ${s.sent}, spooled ${s.spooled}, send errors ${s.sendErrors}, missed ${s.missedSamples}, lag ${lagSampler.current ?? '?'}\n`,
        );
      }
    }
    // Stop half-way between the last tick (endAt − 1 s) and the next: exactly `seconds` samples per Pi.
    await sleep(Math.max(0, endAt - 500 - Date.now()));
    const figures = processes.stop();
    stopFleet = undefined;
    const sent = await fleet.stop({ drainMs: (options.drainS ?? 30) * 1000 });
    const final = fleet.stats();
    const stoppedAt = Date.now();
    const distinctSent = [...sent.values()].reduce((sum, times) => sum + new Set(times).size, 0);
    const fromMs = fleet.startedAt - 1000;
    const toMs = stoppedAt + 1000;
    await waitForStored(services.influx, fleet.hostPrefix, fromMs, toMs, distinctSent, (options.settleS ?? 120) * 1000);
    const settleS = (Date.now() - stoppedAt) / 1000;
    const [latency, lag] = await Promise.all([latencyProbe.stop(), lagSampler.stop()]);
    const stored = await readStored(services.influx, fleet.hostPrefix, fromMs, toMs, fleet.hosts.length);
    const { lostExamples, extraExamples, ...counts } = reconcile(sent, stored);
    return {
      ...counts,
      agents: options.agents,
      seconds: options.seconds,
      sinks: sinkCount,
      workers: fleet.pids[0] === process.pid ? 0 : fleet.pids.length,
      topic,
      host_prefix: fleet.hostPrefix,
      started: new Date(fleet.startedAt).toISOString(),
      unsent: final.spooled,
      missed_samples: final.missedSamples,
      tick_lag_max_ms: final.tickLagMaxMs,
      send_errors: final.sendErrors,
      settle_s: Math.round(settleS * 10) / 10,
      latency,
      lag,
      cpu_rss: figures.processes,
      machine: figures.machine,
      lost_examples: lostExamples,
      extra_examples: extraExamples,
    };
  } finally {
    await stopFleet?.().catch(() => undefined);
    await stopSinks(sinks);
  }
}
