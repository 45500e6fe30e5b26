import { type InfluxTarget, influxAuthorization } from './influxWriter.js';
import type { Reading } from './verifyRise.js';

export interface ReadingsQuery {
  measurement: string;
  field: string;
  host: string;
  /** ms since the epoch, inclusive. */
  since: number;
  until?: number;
}

/** InfluxQL string literal: backslashes and single quotes escaped. */
export function influxqlString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** InfluxQL identifier: double-quoted, with quotes and backslashes escaped. */
export function influxqlIdent(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Reads one field of one host through InfluxDB's v1 /query endpoint, which
 * InfluxDB 2.x serves through the DBRP mapping (db `Labs`, rp `autogen`).
 */
export async function queryReadings(target: InfluxTarget, db: string, query: ReadingsQuery): Promise<Reading[]> {
  const until = query.until === undefined ? '' : ` AND time <= ${query.until}ms`;
  const q = `SELECT ${influxqlIdent(query.field)} FROM ${influxqlIdent(query.measurement)} WHERE "host" = ${influxqlString(query.host)} AND time >= ${query.since}ms${until}`;
  const url = new URL('/query', target.url);
  url.search = new URLSearchParams({ db, q, epoch: 'ms' }).toString();
  const response = await fetch(url, { headers: { authorization: influxAuthorization(target) }, signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`InfluxDB query failed: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
  const body = (await response.json()) as { results?: { error?: string; series?: { values: [number, number | null][] }[] }[] };
  const result = body.results?.[0];
  if (result?.error) throw new Error(`InfluxDB query failed: ${result.error}`);
  return (result?.series?.[0]?.values ?? []).filter(([, v]) => typeof v === 'number').map(([time, value]) => ({ time, value: value as number }));
}
