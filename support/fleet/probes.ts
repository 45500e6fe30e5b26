import { readFileSync } from 'node:fs';
import type { Kafka } from 'kafkajs';
import { groupLag } from '../../src/kafka/lag.js';
import type { InfluxTarget } from '../services.js';
import { parseMachineTicks, readCpuMs, readRssMb } from './procstat.js';
import { escapeRegex, influxQuery } from './stored.js';
import { mean, percentile, round } from './summary.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ProcessFigures {
  /** CPU time used per second of wall time, ms (1000 = one core busy): mean and highest 1-s value. */
  cpu_ms_per_s: number;
  cpu_ms_per_s_max: number;
  rss_mb_mean: number;
  rss_mb_peak: number;
}

/**
 * Samples CPU and RSS of named groups of processes once a second. A group's
 * pids are asked for on every sample, so restarted processes are followed;
 * a group's figures are the sum over its processes.
 */
export interface MachineFigures {
  /** Both cores' busy share, mean and highest 1-s value. */
  busy_percent: number;
  busy_percent_max: number;
  /** CPU ms per second used by processes outside the groups (others' builds and tests on a shared machine). */
  others_cpu_ms_per_s: number;
  /** Share of the time some runnable task waited for a CPU (/proc/pressure/cpu "some"); NaN without PSI. */
  cpu_pressure_percent: number;
}

export class ProcessSampler {
  /** Last CPU reading per pid. */
  private readonly last = new Map<number, number>();
  private readonly cpu = new Map<string, number[]>();
  private readonly rss = new Map<string, number[]>();
  private readonly busy: number[] = [];
  private readonly others: number[] = [];
  private lastAt = Date.now();
  private lastMachine = readMachine();
  private readonly startedAt = Date.now();
  private readonly startPressureUs = readCpuPressureUs();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly groups: Record<string, () => readonly number[]>) {
    for (const pids of Object.values(groups)) for (const pid of pids()) this.last.set(pid, readCpuMs(pid) ?? 0);
    this.timer = setInterval(() => this.sample(), 1000);
  }

  stop(): { processes: Record<string, ProcessFigures>; machine: MachineFigures } {
    clearInterval(this.timer);
    const processes: Record<string, ProcessFigures> = {};
    for (const name of Object.keys(this.groups)) {
      const cpu = this.cpu.get(name) ?? [];
      const rss = this.rss.get(name) ?? [];
      processes[name] = {
        cpu_ms_per_s: round(mean(cpu)),
        cpu_ms_per_s_max: round(Math.max(...cpu)),
        rss_mb_mean: round(mean(rss)),
        rss_mb_peak: round(Math.max(...rss)),
      };
    }
    const pressure = ((readCpuPressureUs() - this.startPressureUs) / 1000 / (Date.now() - this.startedAt)) * 100;
    return {
      processes,
      machine: {
        busy_percent: round(mean(this.busy)),
        busy_percent_max: round(Math.max(...this.busy)),
        others_cpu_ms_per_s: round(mean(this.others)),
        cpu_pressure_percent: round(pressure),
      },
    };
  }

  private sample(): void {
    const now = Date.now();
    const seconds = (now - this.lastAt) / 1000;
    this.lastAt = now;
    const used = new Map<number, { cpuMs: number; rssMb: number }>();
    for (const [name, pids] of Object.entries(this.groups)) {
      let cpuMs = 0;
      let rssMb = 0;
      let alive = 0;
      for (const pid of pids()) {
        let figures = used.get(pid);
        if (!figures) {
          const cpu = readCpuMs(pid);
          const rss = readRssMb(pid);
          if (cpu === undefined || rss === undefined) continue;
          figures = { cpuMs: cpu - (this.last.get(pid) ?? cpu), rssMb: rss };
          this.last.set(pid, cpu);
          used.set(pid, figures);
        }
        alive += 1;
        cpuMs += figures.cpuMs;
        rssMb += figures.rssMb;
      }
      if (alive === 0) continue;
      push(this.cpu, name, cpuMs / seconds);
      push(this.rss, name, rssMb);
    }
    const machine = readMachine();
    const total = machine.total - this.lastMachine.total;
    const busyTicks = machine.busy - this.lastMachine.busy;
    this.lastMachine = machine;
    if (total <= 0) return;
    this.busy.push((busyTicks / total) * 100);
    const ours = [...used.values()].reduce((sum, f) => sum + f.cpuMs, 0);
    this.others.push(Math.max(0, (busyTicks * 10 - ours) / seconds));
  }
}

function readCpuPressureUs(): number {
  try {
    return Number(/^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1]);
  } catch {
    return Number.NaN;
  }
}

function readMachine(): { busy: number; total: number } {
  return parseMachineTicks(readFileSync('/proc/stat', 'utf8'));
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export interface LagFigures {
  max: number;
  p99: number;
  mean: number;
  samples: number;
}

/**
 * Consumer lag of `group` on `topic`, once a second: topic end offsets minus
 * committed offsets, summed over partitions. Offsets from before `baseline`
 * (the end offsets when the run began) do not count as lag.
 */
export class LagSampler {
  private readonly lags: number[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  private constructor(
    private readonly kafka: Kafka,
    private readonly group: string,
    private readonly topic: string,
    private readonly baseline: Map<number, number>,
  ) {
    this.loop = this.run();
  }

  static async start(kafka: Kafka, group: string, topic: string): Promise<LagSampler> {
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
    return new LagSampler(kafka, group, topic, new Map(ends.map((p) => [p.partition, Number(p.high)])));
  }

  /** The latest lag sampled, or undefined before the first sample. */
  get current(): number | undefined {
    return this.lags.at(-1);
  }

  async stop(): Promise<LagFigures> {
    this.stopped = true;
    await this.loop;
    return { max: Math.max(0, ...this.lags), p99: percentile(this.lags, 99), mean: round(mean(this.lags)), samples: this.lags.length };
  }

  private async run(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      while (!this.stopped) {
        const tick = Date.now();
        try {
          const [ends, [committed]] = await Promise.all([
            admin.fetchTopicOffsets(this.topic),
            admin.fetchOffsets({ groupId: this.group, topics: [this.topic] }),
          ]);
          this.lags.push(groupLag(ends, committed?.partitions ?? [], this.baseline));
        } catch {
          // A broker restarting (drills) is no lag figure; the next second tries again.
        }
        await sleep(Math.max(0, 1000 - (Date.now() - tick)));
      }
    } finally {
      await admin.disconnect();
    }
  }
}

export interface LatencyFigures {
  /** Samples whose arrival was seen. */
  measured: number;
  /** Hosts watched. */
  hosts: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

/**
 * bench/sink.ts' method: poll InfluxDB for new points of a few hosts and take
 * (time first seen) − (sample time). Resolution is the poll interval (100 ms)
 * plus the query time; watching a subset keeps the probe's own load on
 * InfluxDB small. Every sample of the watched hosts that lands is measured.
 */
export class LatencyProbe {
  private readonly latencies: number[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly influx: InfluxTarget,
    private readonly hosts: readonly string[],
    private readonly fromMs: number,
    private readonly pollMs = 100,
  ) {
    this.loop = this.run();
  }

  async stop(): Promise<LatencyFigures> {
    this.stopped = true;
    await this.loop;
    return {
      measured: this.latencies.length,
      hosts: this.hosts.length,
      p50_ms: percentile(this.latencies, 50),
      p99_ms: percentile(this.latencies, 99),
      max_ms: Math.max(0, ...this.latencies),
    };
  }

  private async run(): Promise<void> {
    if (this.hosts.length === 0) return;
    // A host's samples land in order (one partition, written in order), so a
    // poll needs only points newer than the newest seen of the slowest host.
    const newest = new Map(this.hosts.map((host) => [host, this.fromMs - 1]));
    const hostRegex = `/^(${this.hosts.map(escapeRegex).join('|')})$/`;
    while (!this.stopped) {
      const tick = Date.now();
      const since = Math.min(...newest.values());
      try {
        const series = await influxQuery(
          this.influx,
          `SELECT "CPU_Usage" FROM "${this.influx.measurement}" WHERE "host" =~ ${hostRegex} AND time > ${since}ms GROUP BY "host"`,
        );
        const now = Date.now();
        for (const s of series) {
          const host = s.tags?.host ?? '';
          const seen = newest.get(host) ?? Number.POSITIVE_INFINITY;
          let latest = seen;
          for (const [time] of s.values) {
            if (time <= seen) continue;
            this.latencies.push(now - time);
            latest = Math.max(latest, time);
          }
          newest.set(host, latest);
        }
      } catch {
        // InfluxDB restarting (drills): try again next time.
      }
      await sleep(Math.max(0, this.pollMs - (Date.now() - tick)));
    }
  }
}
