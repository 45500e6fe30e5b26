import type { Reading } from '../../influx/query.js';

export interface RiseVerdict {
  pass: boolean;
  baseline: number;
  /** Highest 3-reading moving average seen in the window. */
  peak: number;
  rise: number;
  minRise: number;
  readings: number;
}

/**
 * The lab's load test, decided: the mean before the load is the baseline; the
 * load passes when a 3-reading moving average in the window rises at least
 * `minRise` points above it (one noisy reading is not enough).
 */
export function judgeRise(baseline: Reading[], window: Reading[], minRise: number): RiseVerdict {
  const base = mean(baseline.map((r) => r.value));
  const peak = Math.max(
    Number.NEGATIVE_INFINITY,
    ...movingAverage(
      window.map((r) => r.value),
      3,
    ),
  );
  const rise = peak - base;
  return { pass: baseline.length > 0 && Number.isFinite(peak) && rise >= minRise, baseline: base, peak, rise, minRise, readings: window.length };
}

export function movingAverage(values: number[], width: number): number[] {
  if (values.length < width) return values.length > 0 ? [mean(values)] : [];
  return values.slice(width - 1).map((_, i) => mean(values.slice(i, i + width)));
}

function mean(values: number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

const BARS = '▁▂▃▄▅▆▇█';

/** A one-line chart of values on a 0–`max` scale. */
export function sparkline(values: number[], max = 100): string {
  return values.map((v) => BARS[Math.min(BARS.length - 1, Math.max(0, Math.floor((v / max) * BARS.length)))]).join('');
}

/** The PASS/FAIL report the lab's load test prints. */
export function renderVerdict(host: string, verdict: RiseVerdict, series: number[]): string {
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
  return [
    `${verdict.pass ? 'PASS' : 'FAIL'}  CPU_Usage of ${host}: baseline ${f(verdict.baseline)}%, peak ${f(verdict.peak)}% (3-sample average), rise ${f(verdict.rise)} points, needed ${verdict.minRise}`,
    `      ${sparkline(series)}  (${series.length} readings, 0–100%)`,
  ].join('\n');
}
