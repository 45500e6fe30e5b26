import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { killBroker, leaderOf, produceBurst, startBroker, startInflux, stopInflux } from '../../support/faults.js';
import { countStored, readStored, reconcile } from '../../support/fleet/index.js';
import { hostileBurst } from '../../support/hostile.js';
import { NetnsPi, newestPoint } from '../../support/netnsPi.js';
import type { Stack } from '../../support/stack.js';
import type { DrillId } from './args.js';
import { burstLetters, topicEnds } from './deadLetters.js';
import { type DrillStream, sleep } from './stream.js';
import { type Check, type Reconciled, reconcileCounts } from './verdict.js';

export interface DrillContext {
  stack: Stack;
  kafka: Kafka;
  agents: number;
  /** Tells the operator what is happening (stderr). */
  progress: (message: string) => void;
}

/** What a drill adds to the fleet's own accounting. */
export interface Accounting {
  parts: Reconciled[];
  checks: Check[];
  figures: Record<string, unknown>;
}

export interface Fault {
  /** When the fault ended: the moment the repair began. */
  faultEndMs: number;
  /** How long the fault lasted. */
  faultMs: number;
  /** The repair, still running while the watcher times the recovery. */
  repair: Promise<void>;
}

/** One drill: what it starts before the warm-up, the fault, and what it counts beyond the fleet. */
export interface DrillSpec {
  prepare?(stream: DrillStream): Promise<void>;
  fault(stream: DrillStream): Promise<Fault>;
  /** Before the fleet stops (e.g. stop a real agent, so that its last samples drain with the rest). */
  beforeFinish?(stream: DrillStream): Promise<void>;
  account?(stream: DrillStream): Promise<Accounting>;
  /** Always runs, last: undo whatever the fault left behind. */
  cleanup?(): Promise<void>;
}

/** Durations of the faults, ms. */
export const FAULT_MS = { brokerDown: 30_000, influxDown: 60_000, firstSinkAlone: 20_000, noSink: 15_000, linkDown: 60_000 } as const;
/** Messages in the hostile burst. */
export const BURST_SIZE = 3_000;

const none: Accounting = { parts: [], checks: [], figures: {} };
const faultSince = (startedMs: number, repair: Promise<void>): Fault => {
  const faultEndMs = Date.now();
  return { faultEndMs, faultMs: faultEndMs - startedMs, repair };
};

function brokerDown(ctx: DrillContext): DrillSpec {
  let node = 0;
  let restarted: Promise<void> | undefined;
  return {
    async fault() {
      node = await leaderOf(ctx.kafka, 'resource');
      ctx.progress(`SIGKILL Kafka node ${node} (leader of resource-0) for ${FAULT_MS.brokerDown / 1000} s`);
      const started = Date.now();
      await killBroker(ctx.stack, node);
      await sleep(FAULT_MS.brokerDown);
      ctx.progress(`starting Kafka node ${node} again`);
      restarted = startBroker(ctx.stack, node);
      return faultSince(started, restarted);
    },
    account: async () => ({ ...none, figures: { node } }),
    async cleanup() {
      if (node && !restarted) await startBroker(ctx.stack, node);
    },
  };
}

function influxDown(ctx: DrillContext): DrillSpec {
  let stopped = false;
  let restarted: Promise<void> | undefined;
  return {
    async fault() {
      ctx.progress(`stopping InfluxDB for ${FAULT_MS.influxDown / 1000} s`);
      const started = Date.now();
      stopped = true;
      await stopInflux(ctx.stack);
      await sleep(FAULT_MS.influxDown);
      ctx.progress('starting InfluxDB again');
      restarted = startInflux(ctx.stack);
      return faultSince(started, restarted);
    },
    async cleanup() {
      if (stopped && !restarted) await startInflux(ctx.stack);
    },
  };
}

function sinksKilled(ctx: DrillContext): DrillSpec {
  return {
    async fault(stream) {
      const [first, second] = stream.sinks;
      if (!first || !second) throw new Error('the sinks drill needs two sinks');
      const started = Date.now();
      ctx.progress(`SIGKILL sink 1 (pid ${first.pid}); sink 2 alone for ${FAULT_MS.firstSinkAlone / 1000} s`);
      first.kill('SIGKILL');
      await sleep(FAULT_MS.firstSinkAlone);
      ctx.progress(`SIGKILL sink 2 (pid ${second.pid}); no sink for ${FAULT_MS.noSink / 1000} s`);
      second.kill('SIGKILL');
      await sleep(FAULT_MS.noSink);
      ctx.progress('restarting both sinks');
      return faultSince(
        started,
        Promise.all([first.restart(), second.restart()]).then(() => undefined),
      );
    },
    account: async (stream) => ({
      ...none,
      checks: [{ name: 'sinks running again', ok: stream.sinks.every((s) => s.running), detail: 'a restarted sink exited' }],
    }),
  };
}

function piLinkCut(ctx: DrillContext): DrillSpec {
  let pi: NetnsPi | undefined;
  let from = 0;
  let totals = { sampled: 0, sent: 0, spooled: 0 };
  let aliveThroughout = false;
  const newestStored = async () => (pi ? await newestPoint(ctx.stack.services.influx, pi.host) : undefined);
  const fresh = async () => {
    const newest = await newestStored();
    return newest !== undefined && Date.now() - newest <= 5_000;
  };
  return {
    async prepare(stream) {
      if (process.getuid?.() !== 0) throw new Error('the Pi link drill needs root (a network namespace); run it as root');
      from = Date.now();
      pi = new NetnsPi(`${stream.hostPrefix.replace(/fleet-$/, '')}pi`, ctx.stack.services.brokers);
      pi.start();
      // The Pi's backlog is drained when its newest sample is in InfluxDB: it sends its spool in order.
      stream.notDrained = async () => !(await fresh());
    },
    async fault() {
      const deadline = Date.now() + 30_000;
      while (!(await fresh().catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`the Pi in the namespace delivered nothing fresh within 30 s of its start`);
        await sleep(1_000);
      }
      ctx.progress(`cutting the link of Pi ${pi?.host} for ${FAULT_MS.linkDown / 1000} s`);
      const started = Date.now();
      pi?.setLink(false);
      await sleep(FAULT_MS.linkDown);
      ctx.progress('link up again');
      pi?.setLink(true);
      return faultSince(started, Promise.resolve());
    },
    async beforeFinish() {
      aliveThroughout = pi?.alive ?? false;
      totals = await (pi as NetnsPi).stop();
    },
    async account(stream) {
      await stream.drainLag(60_000);
      const host = (pi as NetnsPi).host;
      const stored = await countStored(ctx.stack.services.influx, host, from - 60_000, Date.now() + 60_000);
      return {
        parts: [reconcileCounts(totals.sent, stored)],
        checks: [
          { name: 'Pi agent ran throughout', ok: aliveThroughout, detail: 'tower-agent in the namespace exited during the drill' },
          {
            name: 'Pi samples accounted for',
            ok: totals.sampled === totals.sent + totals.spooled,
            detail: `sampled ${totals.sampled} ≠ sent ${totals.sent} + spooled ${totals.spooled}`,
          },
        ],
        figures: { pi: host, piSampled: totals.sampled, piSent: totals.sent, piStored: stored, piUnsentAtStop: totals.spooled },
      };
    },
    async cleanup() {
      await pi?.destroy();
    },
  };
}

function hostileBurstDrill(ctx: DrillContext): DrillSpec {
  const burstId = randomBytes(4).toString('hex');
  const seed = randomBytes(4).readUInt32LE(0);
  let burst: ReturnType<typeof hostileBurst> | undefined;
  let dlqFrom = new Map<number, string>();
  let prefix = '';
  let from = 0;
  let sinkPids: (number | undefined)[] = [];
  return {
    async fault(stream) {
      prefix = stream.hostPrefix.replace(/fleet-$/, 'hostile-');
      sinkPids = stream.sinks.map((s) => s.pid);
      dlqFrom = await topicEnds(ctx.kafka, 'resource.dlq');
      from = Date.now();
      burst = hostileBurst(seed, BURST_SIZE, prefix, burstId, from);
      ctx.progress(`sending ${BURST_SIZE} hostile messages (${burst.bad} malformed, seed ${seed}) into resource`);
      await produceBurst(ctx.kafka, 'resource', burst.messages);
      return faultSince(from, Promise.resolve());
    },
    async account(stream) {
      const sent = burst as NonNullable<typeof burst>;
      const stored = await readStored(ctx.stack.services.influx, prefix, from - 120_000, Date.now() + 60_000, sent.good.size);
      const good = reconcile(sent.good, stored);
      const letters = await burstLetters(ctx.kafka, 'resource.dlq', dlqFrom, burstId, sent.bad, 60_000);
      const crashed = stream.sinks.filter((s, i) => !s.running || s.pid !== sinkPids[i] || /consumer crashed/.test(s.output()));
      return {
        parts: [good],
        checks: [
          { name: 'every bad message dead-lettered', ok: letters.found === sent.bad, detail: `${letters.found} of ${sent.bad} in resource.dlq` },
          { name: 'every dead letter has a reason', ok: letters.withoutReason === 0, detail: `${letters.withoutReason} without a reason` },
          {
            name: 'sinks never crashed',
            ok: crashed.length === 0,
            detail: `sink(s) ${crashed.map((s) => s.index + 1).join(', ')} exited, restarted or logged a crash`,
          },
        ],
        figures: { seed, burst: BURST_SIZE, malformed: sent.bad, hostileGood: good.sent, deadLetters: letters.found, reasons: letters.reasons },
      };
    },
  };
}

export const DRILLS: Record<DrillId, (ctx: DrillContext) => DrillSpec> = {
  a: brokerDown,
  b: influxDown,
  c: sinksKilled,
  d: piLinkCut,
  e: hostileBurstDrill,
};
