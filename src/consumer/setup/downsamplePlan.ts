import type { Bucket } from '../../influx/admin.js';
import type { Task } from '../../influx/tasks.js';

const HOUR_S = 3600;
const DAY_S = 24 * HOUR_S;

/**
 * How the raw bucket is downsampled. `every`/`offset`: a run per minute,
 * 30 s after the minute ends, when the agent's batches (up to 5 s) and the
 * sink's writes of that minute are in. `recompute`: each run writes the 10
 * whole minutes before its scheduled time again, so points that come up to
 * about 9 minutes late (a broker failover, a sink restart, a short outage
 * the agent spooled through) still count; later ones need a backfill
 * (docs/retention.md).
 */
export const DOWNSAMPLE = {
  /** The downsampled bucket is `<raw bucket><suffix>`, mapped for InfluxQL as `<db>/<rp>`. */
  suffix: '_1m',
  rp: '1m',
  window: '1m',
  every: '1m',
  offset: '30s',
  recompute: '10m',
  /** Two years: a year-on-year look back, at a few MB per Pi (docs/retention.md). */
  retentionSeconds: 730 * DAY_S,
  /** The field whose 1-minute max is kept too, and the name it is kept under. */
  maxOf: 'CPU_Usage',
  maxField: 'CPU_Usage_max',
} as const;

/** Names of what downsampling needs, derived from the raw bucket and the sink's measurement. */
export interface DownsampleNames {
  rawBucket: string;
  bucket: string;
  measurement: string;
  task: string;
}

export function downsampleNames(rawBucket: string, measurement: string): DownsampleNames {
  const bucket = `${rawBucket}${DOWNSAMPLE.suffix}`;
  return { rawBucket, bucket, measurement, task: `downsample ${rawBucket} to ${bucket}` };
}

/**
 * The task's script: 1-minute means of every numeric field of the
 * measurement, per series (host and region tags kept), and the 1-minute max
 * of CPU_Usage as CPU_Usage_max, written to the downsampled bucket at the
 * start of each minute, as InfluxQL's GROUP BY time(1m) labels it. The range
 * is whole minutes counted back from the run's now() (its scheduled time), so
 * a run asked for with scheduledFor T writes the minutes before T, whenever
 * it runs; rewriting a minute replaces its points. Every filter and aggregate
 * is one InfluxDB's storage engine does as it reads (a per-point Flux
 * function such as types.isNumeric in the filter, or one stream read by
 * both outputs, would make a run some 50 times slower: bench:storage).
 * Only the fields found numeric are averaged: the storage engine's mean
 * stops at the first string or boolean series of the shard, in range or
 * not, and InfluxDB still counts such a run a success.
 */
export function downsampleFlux(names: DownsampleNames): string {
  const { window, every, offset, recompute, maxOf, maxField } = DOWNSAMPLE;
  const to = `    |> to(bucket: ${fluxString(names.bucket)})`;
  return [
    'import "array"',
    'import "date"',
    'import "regexp"',
    'import "strings"',
    'import "types"',
    '',
    `option task = {name: ${fluxString(names.task)}, every: ${every}, offset: ${offset}}`,
    '',
    '// Written by tower-sink setup, which puts this script back when it differs.',
    `// Each run rewrites the ${recompute} of whole minutes before its scheduled time.`,
    `stop = date.truncate(t: now(), unit: ${window})`,
    `start = date.sub(d: ${recompute}, from: stop)`,
    '// A function, not a stream: each use below reads on its own, its filter and aggregate done by the storage engine.',
    `raw = () => from(bucket: ${fluxString(names.rawBucket)})`,
    '    |> range(start: start, stop: stop)',
    `    |> filter(fn: (r) => r._measurement == ${fluxString(names.measurement)})`,
    '',
    '// The numeric fields, told by the first point of each series in these minutes. Only they are averaged: the',
    '// storage engine fails a mean over a string or boolean field even where it has no point in range.',
    'numeric = raw()',
    '    |> first()',
    '    |> filter(fn: (r) => types.isNumeric(v: r._value))',
    '    |> keep(columns: ["_field"])',
    '    |> group()',
    '    |> distinct(column: "_field")',
    '    |> findColumn(fn: (key) => true, column: "_value")',
    'fields = regexp.compile(v: "^(" + strings.joinStr(arr: array.map(arr: numeric, fn: (x) => regexp.quoteMeta(v: x)), v: "|") + ")$")',
    '',
    'raw()',
    '    |> filter(fn: (r) => r._field =~ fields)',
    `    |> aggregateWindow(every: ${window}, fn: mean, timeSrc: "_start", createEmpty: false)`,
    to,
    '',
    'raw()',
    `    |> filter(fn: (r) => r._field == ${fluxString(maxOf)})`,
    `    |> aggregateWindow(every: ${window}, fn: max, timeSrc: "_start", createEmpty: false)`,
    `    |> set(key: "_field", value: ${fluxString(maxField)})`,
    to,
    '',
  ].join('\n');
}

/** A Flux string literal: backslash, double quote and the interpolation `${` escaped. */
export function fluxString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$\{/g, '\\${').replace(/\n/g, '\\n')}"`;
}

export type TaskDecision =
  | { kind: 'create' }
  | { kind: 'present'; task: Task }
  /** The task exists with another script (edited, or from an older setup): it gets setup's. */
  | { kind: 'update'; task: Task }
  | { kind: 'conflict'; tasks: Task[] };

/** Whether the task of this name must be created or its script replaced; several of that name are the operator's to sort out. */
export function decideTask(existing: readonly Task[], flux: string): TaskDecision {
  const [task, ...more] = existing;
  if (!task) return { kind: 'create' };
  if (more.length > 0) return { kind: 'conflict', tasks: [...existing] };
  return task.flux === flux ? { kind: 'present', task } : { kind: 'update', task };
}

export type RetentionDecision =
  | { kind: 'present' }
  /** shardGroupSeconds: set too, where the bucket's shard groups are longer than the new retention (InfluxDB refuses that). */
  | { kind: 'update'; fromSeconds: number; shardGroupSeconds?: number };

/** The retention a bucket has now, in seconds; 0 is forever. */
export function retentionOf(bucket: Bucket): number {
  return bucket.retentionRules?.find((r) => r.type === 'expire')?.everySeconds ?? 0;
}

export function decideRetention(bucket: Bucket, wantSeconds: number): RetentionDecision {
  const fromSeconds = retentionOf(bucket);
  if (fromSeconds === wantSeconds) return { kind: 'present' };
  const shardGroup = bucket.retentionRules?.find((r) => r.type === 'expire')?.shardGroupDurationSeconds;
  const tooLong = wantSeconds > 0 && shardGroup !== undefined && shardGroup > wantSeconds;
  return tooLong ? { kind: 'update', fromSeconds, shardGroupSeconds: defaultShardGroupSeconds(wantSeconds) } : { kind: 'update', fromSeconds };
}

/** InfluxDB's own shard group duration for a retention: 1 h under 2 days, 1 day under 6 months, else 7 days. */
export function defaultShardGroupSeconds(retentionSeconds: number): number {
  if (retentionSeconds === 0 || retentionSeconds >= 180 * DAY_S) return 7 * DAY_S;
  return retentionSeconds >= 2 * DAY_S ? DAY_S : HOUR_S;
}

const UNIT_S: Record<string, number> = { h: HOUR_S, d: DAY_S, w: 7 * DAY_S };

/**
 * A retention as the operator writes it: `0` (forever) or whole hours, days
 * and weeks such as `30d`, `12h`, `2w` or `1w3d`, at least 1h (InfluxDB's
 * least). Seconds, or undefined when the text is none of these.
 */
export function parseRetention(text: string): number | undefined {
  const value = text.trim();
  if (value === '0') return 0;
  if (!/^(\d+[hdw])+$/.test(value)) return undefined;
  let seconds = 0;
  for (const [, n, unit] of value.matchAll(/(\d+)([hdw])/g)) seconds += Number(n) * (UNIT_S[unit as string] as number);
  return seconds >= HOUR_S && Number.isSafeInteger(seconds) ? seconds : undefined;
}

/** `forever`, `30d`, `36h` (or seconds, for a retention not set by setup). */
export function formatRetention(seconds: number): string {
  if (seconds === 0) return 'forever';
  if (seconds % DAY_S === 0) return `${seconds / DAY_S}d`;
  if (seconds % HOUR_S === 0) return `${seconds / HOUR_S}h`;
  return `${seconds}s`;
}
