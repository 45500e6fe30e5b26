import { queryReadings, type Reading } from '../../influx/query.js';
import type { InfluxTarget } from '../../influx/target.js';
import { judgeRise, renderVerdict } from './verifyRise.js';

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
  pollMs?: number;
}

/** The lab's busybox load test: PASS when CPU_Usage of the host rises enough within the window. */
export async function runVerify(options: VerifyOptions, out: (text: string) => void): Promise<boolean> {
  const start = Date.now();
  const read = (since: number, until?: number) =>
    queryReadings(options.influx, options.db, { measurement: options.measurement, field: 'CPU_Usage', host: options.host, since, until });
  const baseline = await read(start - options.baselineS * 1000, start);
  if (baseline.length === 0) {
    out(`FAIL  no CPU_Usage for host "${options.host}" in the last ${options.baselineS} s: is tower-agent running there, and tower-sink writing?`);
    return false;
  }
  out(
    `baseline: ${baseline.length} readings of ${options.host}; start the load now, waiting up to ${options.windowS} s for a rise of ${options.minRise} points…`,
  );
  let window: Reading[] = [];
  for (;;) {
    window = await read(start + 1);
    const verdict = judgeRise(baseline, window, options.minRise);
    if (verdict.pass || Date.now() - start >= options.windowS * 1000) {
      out(
        renderVerdict(
          options.host,
          verdict,
          [...baseline, ...window].map((r) => r.value),
        ),
      );
      return verdict.pass;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 2_000));
  }
}
