// How fast a consumer process drains a pre-filled topic, and at what CPU and memory cost.
import type { ChildProcess } from 'node:child_process';
import type { Kafka } from 'kafkajs';
import { readRssMb, readThreadsCpuMs } from '../support/fleet/procstat.js';
import { round } from '../support/fleet/summary.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The drain is over when `group` has committed `messages` offsets on `topic`. */
export interface DrainTarget {
  group: string;
  topic: string;
  messages: number;
}

export interface DrainFigures {
  points_per_s: number;
  cpu_ms_per_1000_points: number;
  peak_rss_mb: number;
}

/**
 * Times `child` from its start until `group` has committed `messages` offsets on `topic`:
 * all threads' CPU (schedstat, read while it runs) and the peak RSS, sampled every 500 ms.
 */
export async function measureDrain(kafka: Kafka, child: ChildProcess, { group, topic, messages }: DrainTarget): Promise<DrainFigures> {
  const started = Date.now();
  const pid = child.pid as number;
  let peakRss = 0;
  let cpuMs = 0;
  let done = 0;
  while (done < messages) {
    await sleep(500);
    if (child.exitCode !== null) throw new Error(`${child.spawnfile} exited with ${child.exitCode} at ${done} of ${messages}`);
    peakRss = Math.max(peakRss, readRssMb(pid) ?? 0);
    cpuMs = readThreadsCpuMs(pid) ?? cpuMs;
    // The group coordinator can be briefly unavailable (NOT_COORDINATOR) on a fresh cluster: ask again next round.
    done = await committedTotal(kafka, group, topic).catch(() => done);
    if (Date.now() - started > 30 * 60_000) throw new Error(`drain stalled at ${done} of ${messages}`);
  }
  cpuMs = readThreadsCpuMs(pid) ?? cpuMs;
  const seconds = (Date.now() - started) / 1000;
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  return { points_per_s: Math.round(messages / seconds), cpu_ms_per_1000_points: round((cpuMs / messages) * 1000, 2), peak_rss_mb: round(peakRss) };
}

async function committedTotal(kafka: Kafka, group: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  await admin.disconnect();
  return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}
