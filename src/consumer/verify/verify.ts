import { queryReadings, type Reading } from '../../influx/query.js';
import type { InfluxTarget } from '../../influx/target.js';
import { nextStep, readSince, type VerifyState } from './verifyStep.js';

export interface VerifyOptions {
  influx: InfluxTarget;
  /** v1 database name (the DBRP mapping). Default `Labs`. */
  db: string;
  measurement: string;
  host: string;
  /** Seconds before now that make the baseline. Default 30. */
  baselineS: number;
  /** Seconds to wait for the rise. Default 60. */
  windowS: number;
  /** Points of CPU_Usage the load must add. Default 20. */
  minRise: number;
  /** Longest wait for readings on their way, s: the baseline's first, the window's last. Default 30. */
  waitS: number;
  pollMs?: number;
}

/** What verify reads and how it waits; the real InfluxDB and clock unless a test says otherwise. */
export interface VerifyIo {
  read: (since: number) => Promise<Reading[]>;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/** The lab's busybox load test: PASS when CPU_Usage of the host rises enough within the window. */
export async function runVerify(options: VerifyOptions, out: (text: string) => void, io: VerifyIo = influxIo(options)): Promise<boolean> {
  const plan = {
    host: options.host,
    baselineMs: options.baselineS * 1000,
    windowMs: options.windowS * 1000,
    waitMs: options.waitS * 1000,
    minRise: options.minRise,
  };
  let state: VerifyState = { startedAt: io.now() };
  for (;;) {
    const readings = await io.read(readSince(plan, state));
    const step = nextStep(plan, state, readings, io.now());
    if (step.say !== undefined) out(step.say);
    if (step.done) return step.pass;
    state = step.state;
    await io.sleep(options.pollMs ?? 2_000);
  }
}

function influxIo(options: VerifyOptions): VerifyIo {
  return {
    read: (since) => queryReadings(options.influx, options.db, { measurement: options.measurement, field: 'CPU_Usage', host: options.host, since }),
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
