import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompressionTypes, type Kafka, Partitioners } from 'kafkajs';
import { sleep } from './harness.js';
import type { BurstMessage } from './hostile.js';
import { PiNamespace } from './netns.js';
import { DRILL_NAMESPACE } from './netnsPi.js';
import { REPO_ROOT } from './services.js';
import { type Stack, serviceScript } from './stack.js';

export class FaultError extends Error {
  override name = 'FaultError';
}

/** The broker leading partition 0 of `topic`, so that the kill moves a leadership. */
export async function leaderOf(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const leader = topics[0]?.partitions.find((p) => p.partitionId === 0)?.leader;
    if (leader === undefined || leader < 1 || leader > 3)
      throw new FaultError(`no leader for ${topic}-0 among nodes 1-3 (got ${leader}); is the cluster healthy (npm run services:up)?`);
    return leader;
  } finally {
    await admin.disconnect();
  }
}

/**
 * SIGKILLs Kafka node `n` of the stack, as a crash or power cut would, and
 * waits until it is gone. Only the process kafka.sh recorded for this state
 * dir and node is touched.
 */
export async function killBroker(stack: Stack, n: number): Promise<void> {
  const pidFile = join(stack.stateDir, 'run', `kafka-${n}.pid`);
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const conf = join(stack.stateDir, 'kafka', `node-${n}`, 'server.properties');
  const running = () => commandLine(pid).includes(`kafka.Kafka ${conf}`);
  if (!running()) throw new FaultError(`Kafka node ${n} of ${stack.stateDir} is not running (pid file ${pidFile}); run npm run services:up`);
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 15_000;
  while (running()) {
    if (Date.now() > deadline) throw new FaultError(`Kafka node ${n} (pid ${pid}) still runs 15 s after SIGKILL`);
    await sleep(100);
  }
}

export function startBroker(stack: Stack, n: number): Promise<void> {
  return serviceScript(stack, 'kafka', ['start-node', String(n)]);
}

export function stopInflux(stack: Stack): Promise<void> {
  return serviceScript(stack, 'influxdb', ['stop']);
}

export function startInflux(stack: Stack): Promise<void> {
  return serviceScript(stack, 'influxdb', ['start']);
}

/** Produces the burst to `topic` with acks=all, in requests of 500; resolves when Kafka acknowledged all. */
export async function produceBurst(kafka: Kafka, topic: string, messages: BurstMessage[]): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: messages.slice(i, i + 500) });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Puts the stack back whole whatever a drill left broken: every Kafka node and
 * InfluxDB running (both scripts are idempotent), the drill namespace and its
 * link gone. Synchronous, for exit paths.
 */
export function repairStackSync(stack: Stack): string[] {
  const problems: string[] = [];
  for (const [script, args] of [
    ['kafka', ['start']],
    ['influxdb', ['start']],
  ] as const) {
    const run = spawnSync('bash', [join(REPO_ROOT, 'scripts/services', `${script}.sh`), ...args], {
      cwd: REPO_ROOT,
      env: stack.scriptEnv,
      encoding: 'utf8',
      timeout: 240_000,
    });
    if (run.status !== 0)
      problems.push(`${script}.sh ${args.join(' ')} failed: ${(run.stderr || run.stdout || String(run.error)).split('\n').slice(-5).join('\n')}`);
  }
  new PiNamespace(DRILL_NAMESPACE.name, 'unused', DRILL_NAMESPACE).destroy();
  return problems;
}

/** A process' command line, '' once it has exited (a zombie's is empty too). */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}
