import { InfluxError, influxRequest } from './request.js';
import type { InfluxServer } from './target.js';

/** One series of an InfluxQL answer; times are ms since the epoch. */
export interface Series {
  name?: string;
  tags?: Record<string, string>;
  columns: string[];
  values: (number | string | null)[][];
}

/** One reading of a field: ms time and value. */
export interface Reading {
  time: number;
  value: number;
}

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
 * Runs one InfluxQL statement through InfluxDB's v1 /query endpoint, which
 * InfluxDB 2.x serves through the DBRP mapping of `db`. An error in the
 * answer's body (a bad query, an unknown database) is an InfluxError too.
 */
export async function influxQL(server: InfluxServer, db: string, q: string): Promise<Series[]> {
  const response = await influxRequest(server.url, { path: `/query?${new URLSearchParams({ db, q, epoch: 'ms' })}`, credentials: server });
  const body = JSON.parse(response.text) as { results?: { error?: string; series?: Series[] }[] };
  const result = body.results?.[0];
  if (result?.error) throw new InfluxError(`InfluxDB refused the query on ${db}: ${result.error}`, response.status, response.text);
  return result?.series ?? [];
}

/** Reads one field of one host from `db`, oldest first; readings without a number are left out. */
export async function queryReadings(server: InfluxServer, db: string, query: ReadingsQuery): Promise<Reading[]> {
  const until = query.until === undefined ? '' : ` AND time <= ${query.until}ms`;
  const q = `SELECT ${influxqlIdent(query.field)} FROM ${influxqlIdent(query.measurement)} WHERE "host" = ${influxqlString(query.host)} AND time >= ${query.since}ms${until}`;
  const values = (await influxQL(server, db, q))[0]?.values ?? [];
  return values.filter(([, v]) => typeof v === 'number').map(([time, value]) => ({ time: time as number, value: value as number }));
}
