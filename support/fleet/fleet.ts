import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Flock, type FlockOptions, type FlockStats } from './pi.js';
import { mergeLogs, type SentLog } from './reconcile.js';
import type { FromWorker, ToWorker } from './worker.js';

export interface FleetOptions {
  /** Number of simulated Pis. */
  agents: number;
  brokers: string[];
  /** Default `resource`. */
  topic?: string;
  /** Pi i is named `${hostPrefix}${i}`. Default `fleet-<6 hex>-`, new each run. */
  hostPrefix?: string;
  /**
   * Child processes to spread the Pis over; 0 runs them in this process.
   * Default 0 up to 200 agents, else one per 1,000 agents, at most 4.
   */
  workers?: number;
  /** pino level for the agents' log lines (stderr). Default `silent`. */
  logLevel?: string;
  /** Longest wait for the workers to start, ms. Default 30 000. */
  startTimeoutMs?: number;
}

export interface StopOptions {
  /** After the last sample, how long the spools may take to empty, ms. Default 15 000. */
  drainMs?: number;
  /** Then how long each Delivery waits for its send in flight, ms. Default 3 000 (the agent's). */
  graceMs?: number;
}

export interface FleetStats extends FlockStats {
  /** Processes that have not reported within the last 5 s. */
  silentWorkers: number;
}

export interface Fleet {
  readonly hostPrefix: string;
  readonly hosts: readonly string[];
  /** ms when the first sample was due. */
  readonly startedAt: number;
  /** Pids of the processes running Pis (this process' pid when workers = 0). */
  readonly pids: readonly number[];
  /** Totals over all processes, as last reported (each second). */
  stats(): FleetStats;
  /** Stops sampling, drains, stops delivery; returns per host the sample times Kafka acknowledged. */
  stop(options?: StopOptions): Promise<SentLog>;
}

export class FleetError extends Error {
  override name = 'FleetError';
}

export function defaultWorkers(agents: number): number {
  return agents <= 200 ? 0 : Math.min(4, Math.ceil(agents / 1000));
}

/** Starts `agents` simulated Pis producing real Tower samples at 1 Hz; the first sample is due at the next whole second. */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const hostPrefix = options.hostPrefix ?? `fleet-${randomBytes(3).toString('hex')}-`;
  const hosts = Array.from({ length: options.agents }, (_, i) => `${hostPrefix}${i}`);
  const workers = Math.min(options.workers ?? defaultWorkers(options.agents), options.agents);
  const flock = (slice: string[], w: number): FlockOptions => ({
    brokers: options.brokers,
    topic: options.topic ?? 'resource',
    hosts: slice,
    clientId: `tower-fleet-${w}`,
    logLevel: options.logLevel,
  });
  if (workers === 0) return inProcess(hostPrefix, hosts, flock(hosts, 0));
  const slices = Array.from({ length: workers }, (_, w) => hosts.filter((_, i) => i % workers === w));
  const children = await Promise.all(slices.map((slice, w) => startWorker(flock(slice, w), options.startTimeoutMs ?? 30_000)));
  return {
    hostPrefix,
    hosts,
    startedAt: Math.min(...children.map((c) => c.startedAt)),
    pids: children.map((c) => c.child.pid as number),
    stats: () => {
      const now = Date.now();
      const total = sumStats(children.map((c) => c.stats));
      return { ...total, silentWorkers: children.filter((c) => now - c.reportedAt > 5_000).length };
    },
    stop: async (stop = {}) => mergeLogs(await Promise.all(children.map((c) => c.stop(stop)))),
  };
}

function inProcess(hostPrefix: string, hosts: string[], options: FlockOptions): Fleet {
  const flock = new Flock(options);
  const startedAt = flock.start();
  return {
    hostPrefix,
    hosts,
    startedAt,
    pids: [process.pid],
    stats: () => ({ ...flock.stats, silentWorkers: 0 }),
    stop: ({ drainMs = 15_000, graceMs = 3_000 } = {}) => flock.stop(drainMs, graceMs),
  };
}

const EMPTY: FlockStats = { enqueued: 0, sent: 0, sendErrors: 0, spooled: 0, missedTicks: 0, missedSamples: 0, tickLagMaxMs: 0 };

function sumStats(list: FlockStats[]): FlockStats {
  return list.reduce(
    (sum, s) => ({
      enqueued: sum.enqueued + s.enqueued,
      sent: sum.sent + s.sent,
      sendErrors: sum.sendErrors + s.sendErrors,
      spooled: sum.spooled + s.spooled,
      missedTicks: sum.missedTicks + s.missedTicks,
      missedSamples: sum.missedSamples + s.missedSamples,
      tickLagMaxMs: Math.max(sum.tickLagMaxMs, s.tickLagMaxMs),
    }),
    EMPTY,
  );
}

interface WorkerHandle {
  child: ChildProcess;
  startedAt: number;
  stats: FlockStats;
  reportedAt: number;
  stop(options: StopOptions): Promise<SentLog>;
}

/** The worker module next to this one; from TypeScript sources it runs under tsx. */
function workerEntry(): { path: string; execArgv: string[] } {
  const url = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
  return { path: fileURLToPath(url), execArgv: url.pathname.endsWith('.ts') ? ['--import', 'tsx'] : [] };
}

function startWorker(options: FlockOptions, startTimeoutMs: number): Promise<WorkerHandle> {
  const entry = workerEntry();
  const child = fork(entry.path, [], { execArgv: entry.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // SIGTERM lets the worker remove its spools; it also exits when its IPC channel closes.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  return new Promise((resolve, reject) => {
    const handle: WorkerHandle = { child, startedAt: 0, stats: EMPTY, reportedAt: Date.now(), stop: (stop) => stopWorker(child, handle, stop) };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new FleetError(`a fleet worker did not start within ${startTimeoutMs} ms; is the machine overloaded?`));
    }, startTimeoutMs);
    child.on('message', (message: FromWorker) => {
      if (message.type === 'stats') {
        handle.stats = message.stats;
        handle.reportedAt = Date.now();
      } else if (message.type === 'ready') {
        clearTimeout(timer);
        handle.startedAt = message.startedAt;
        resolve(handle);
      } else if (message.type === 'failed') {
        clearTimeout(timer);
        reject(new FleetError(`a fleet worker failed: ${message.message}`));
      }
    });
    child.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      clearTimeout(timer);
      reject(new FleetError(`a fleet worker exited early (code ${code}, signal ${signal}); see its stderr above`));
    });
    child.send({ type: 'start', options } satisfies ToWorker);
  });
}

function stopWorker(child: ChildProcess, handle: WorkerHandle, { drainMs = 15_000, graceMs = 3_000 }: StopOptions = {}): Promise<SentLog> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => {
        child.kill('SIGKILL');
        reject(new FleetError(`a fleet worker did not stop within ${drainMs + graceMs + 15_000} ms; it was killed`));
      },
      drainMs + graceMs + 15_000,
    );
    child.on('message', (message: FromWorker) => {
      if (message.type !== 'stopped') return;
      clearTimeout(timer);
      handle.stats = message.stats;
      child.disconnect();
      resolve(new Map(message.sent));
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new FleetError('a fleet worker exited before reporting what it sent'));
    });
    child.send({ type: 'stop', drainMs, graceMs } satisfies ToWorker);
  });
}
