import type { FluxRow } from '../../influx/flux.js';
import type { Check } from '../../influx/monitoring.js';
import { formatDuration, PREFIX_TAG, parseDuration } from '../setup/alertingPlan.js';

/** The current level of one check for one host. */
export interface HostLevel {
  host: string;
  check: string;
  level: string;
  /** ms: when the level began, or the oldest status read when it held all along. */
  since: number;
  /** The level held since before the oldest status read. */
  sinceOrEarlier: boolean;
  message: string;
}

/** The checks whose statuses carry tower_alerts=<prefix>. */
export function prefixedChecks(checks: readonly Check[], prefix: string): Check[] {
  return checks.filter((c) => (c.tags ?? []).some((t) => t.key === PREFIX_TAG && t.value === prefix));
}

/**
 * How far back to read: a deadman check keeps writing statuses of a silent
 * host for its staleTime, the others one per interval.
 */
export function lookbackS(checks: readonly Check[]): number {
  const spans = checks.map((c) => (c.type === 'deadman' ? (parseDuration(c.staleTime ?? '') ?? 0) : 3 * (parseDuration(c.every ?? '') ?? 0)));
  return Math.max(3600, ...spans);
}

function fluxString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Three answers per check and host from _monitoring's statuses: the latest
 * status, the oldest one read, and the latest change of level (the first
 * status of the level that holds now).
 */
export function statusesQuery(prefix: string, host: string | undefined, lookback: number): string {
  const hostFilter = host === undefined ? '' : ` and r.host == ${fluxString(host)}`;
  return `statuses = from(bucket: "_monitoring")
  |> range(start: -${formatDuration(lookback)})
  |> filter(fn: (r) => r._measurement == "statuses" and r._field == "_message" and r.${PREFIX_TAG} == ${fluxString(prefix)}${hostFilter})
  |> keep(columns: ["_time", "_value", "_check_name", "_level", "host"])
  |> group(columns: ["_check_name", "host"])
  |> sort(columns: ["_time"])
statuses |> last() |> yield(name: "current")
statuses |> first() |> yield(name: "oldest")
statuses
  |> map(fn: (r) => ({r with rank: if r._level == "crit" then 4 else if r._level == "warn" then 3 else if r._level == "info" then 2 else if r._level == "ok" then 1 else 0}))
  |> difference(columns: ["rank"])
  |> filter(fn: (r) => r.rank != 0)
  |> last()
  |> yield(name: "changed")
`;
}

/** The answers of statusesQuery as one level per check and host, sorted by host, then check. */
export function hostLevels(rows: readonly FluxRow[]): HostLevel[] {
  const byKey = new Map<string, { current?: FluxRow; oldest?: FluxRow; changed?: FluxRow }>();
  for (const row of rows) {
    const key = JSON.stringify([row.host ?? '', row._check_name ?? '']);
    const entry = byKey.get(key) ?? {};
    if (row.result === 'current' || row.result === 'oldest' || row.result === 'changed') entry[row.result] = row;
    byKey.set(key, entry);
  }
  const levels: HostLevel[] = [];
  for (const { current, oldest, changed } of byKey.values()) {
    if (!current) continue;
    const since = changed ?? oldest ?? current;
    levels.push({
      host: current.host ?? '',
      check: current._check_name ?? '',
      level: (current._level ?? 'unknown').toUpperCase(),
      since: Date.parse(since._time ?? ''),
      sinceOrEarlier: !changed,
      message: current._value ?? '',
    });
  }
  return levels.sort((a, b) => a.host.localeCompare(b.host) || a.check.localeCompare(b.check));
}

/** 2026-12-03 11:37:20Z */
function shownTime(ms: number): string {
  return Number.isNaN(ms)
    ? '?'
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}

/** The table `tower-sink alerts` prints: aligned columns, no colours, one line per check and host. */
export function levelsTable(levels: readonly HostLevel[]): string[] {
  const header = ['HOST', 'CHECK', 'LEVEL', 'SINCE', 'MESSAGE'];
  const rows = levels.map((l) => [l.host, l.check, l.level, `${shownTime(l.since)}${l.sinceOrEarlier ? ' or earlier' : ''}`, l.message]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  return [header, ...rows].map((cells) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd(),
  );
}

/** 1 when any check is CRIT for any host, else 0. */
export function alertsExitCode(levels: readonly HostLevel[]): 0 | 1 {
  return levels.some((l) => l.level === 'CRIT') ? 1 : 0;
}
