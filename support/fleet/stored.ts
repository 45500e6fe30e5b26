import { influxQL } from '../../src/influx/query.js';
import type { InfluxTarget } from '../services.js';
import { addTimes, type StoredLog } from './reconcile.js';

type Series = { tags?: Record<string, string>; values: [number, ...unknown[]][] };

/** Runs an InfluxQL SELECT on the v1 /query endpoint with the token; returns its series, whose first column is the time in ms. */
export async function influxQuery(influx: InfluxTarget, q: string): Promise<Series[]> {
  return (await influxQL({ url: influx.url, token: influx.token }, influx.db, q)) as unknown as Series[];
}

export const escapeRegex = (text: string) => text.replace(/[\\/^$.*+?()[\]{}|]/g, '\\$&');

/** InfluxQL condition: host tag starting with `prefix`, time in [fromMs, toMs]. */
function where(prefix: string, fromMs: number, toMs: number): string {
  return `"host" =~ /^${escapeRegex(prefix)}/ AND time >= ${Math.floor(fromMs)}ms AND time <= ${Math.ceil(toMs)}ms`;
}

/** Distinct points (one per host and time) of hosts starting with `hostPrefix` in [fromMs, toMs]. */
export async function countStored(influx: InfluxTarget, hostPrefix: string, fromMs: number, toMs: number): Promise<number> {
  const series = await influxQuery(influx, `SELECT count("CPU_Usage") FROM "${influx.measurement}" WHERE ${where(hostPrefix, fromMs, toMs)}`);
  return Number(series[0]?.values[0]?.[1] ?? 0);
}

/**
 * The points themselves, per host, read in time slices of about `rowsPerQuery`
 * rows so that no single response gets large.
 */
export async function readStored(
  influx: InfluxTarget,
  hostPrefix: string,
  fromMs: number,
  toMs: number,
  hostCount: number,
  rowsPerQuery = 50_000,
): Promise<StoredLog> {
  const log: StoredLog = new Map();
  const sliceMs = Math.max(1_000, Math.floor(rowsPerQuery / Math.max(1, hostCount)) * 1_000);
  for (let from = Math.floor(fromMs); from <= toMs; from += sliceMs) {
    const to = Math.min(Math.ceil(toMs), from + sliceMs - 1);
    const series = await influxQuery(influx, `SELECT "CPU_Usage" FROM "${influx.measurement}" WHERE ${where(hostPrefix, from, to)} GROUP BY "host"`);
    for (const s of series)
      addTimes(
        log,
        s.tags?.host ?? '',
        s.values.map((row) => row[0]),
      );
  }
  return log;
}

/**
 * Polls countStored every `pollMs` until it reaches `expected` or `timeoutMs`
 * passes; returns the last count (the caller decides what a shortfall means).
 */
export async function waitForStored(
  influx: InfluxTarget,
  hostPrefix: string,
  fromMs: number,
  toMs: number,
  expected: number,
  timeoutMs: number,
  pollMs = 1_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const count = await countStored(influx, hostPrefix, fromMs, toMs).catch(() => -1);
    if (count >= expected || Date.now() >= deadline) return count;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
