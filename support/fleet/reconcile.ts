/** Per host, the sample times (ms) of one side of a run. */
export type TimesByHost = Map<string, number[]>;
/** Per host, the sample times Kafka acknowledged (a time twice = acknowledged twice, e.g. a re-send). */
export type SentLog = TimesByHost;
/** Per host, the point times found in InfluxDB. */
export type StoredLog = TimesByHost;

export interface Reconciliation {
  /** Distinct host+time pairs acknowledged by Kafka. */
  sent: number;
  /** Distinct host+time pairs found in InfluxDB. */
  stored: number;
  /** Sent but not stored. */
  lost: number;
  /** Stored but never sent. */
  extra: number;
  /** Acknowledgements beyond the first for the same host+time (harmless: InfluxDB overwrites the point). */
  duplicates: number;
  /** Up to `examples` lost host@time pairs, oldest first, for the report. */
  lostExamples: string[];
  /** Up to `examples` extra host@time pairs, oldest first. */
  extraExamples: string[];
}

/** Compares what Kafka acknowledged with what InfluxDB holds, by host and time. */
export function reconcile(sent: SentLog, stored: StoredLog, examples = 5): Reconciliation {
  let sentCount = 0;
  let storedCount = 0;
  let duplicates = 0;
  const lost: [number, string][] = [];
  const extra: [number, string][] = [];
  const storedSets = new Map<string, Set<number>>();
  for (const [host, times] of stored) {
    const set = new Set(times);
    storedSets.set(host, set);
    storedCount += set.size;
  }
  for (const [host, times] of sent) {
    const unique = new Set(times);
    sentCount += unique.size;
    duplicates += times.length - unique.size;
    const have = storedSets.get(host);
    for (const time of unique) if (!have?.has(time)) lost.push([time, host]);
  }
  for (const [host, set] of storedSets) {
    const want = new Set(sent.get(host) ?? []);
    for (const time of set) if (!want.has(time)) extra.push([time, host]);
  }
  const show = (list: [number, string][]) =>
    list
      .sort((a, b) => a[0] - b[0])
      .slice(0, examples)
      .map(([time, host]) => `${host}@${time}`);
  return { sent: sentCount, stored: storedCount, lost: lost.length, extra: extra.length, duplicates, lostExamples: show(lost), extraExamples: show(extra) };
}

/** Adds `times` of `host` to `log`. */
export function addTimes(log: TimesByHost, host: string, times: Iterable<number>): void {
  let list = log.get(host);
  if (!list) {
    list = [];
    log.set(host, list);
  }
  for (const time of times) list.push(time);
}

/** Merges several logs into one (e.g. one per worker process). */
export function mergeLogs(logs: Iterable<TimesByHost>): TimesByHost {
  const out: TimesByHost = new Map();
  for (const log of logs) for (const [host, times] of log) addTimes(out, host, times);
  return out;
}
