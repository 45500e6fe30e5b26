import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { REPO_ROOT } from '../services.js';

export interface SinkRunOptions {
  topic: string;
  /** Consumer group shared by the sinks. */
  group: string;
  /** Environment of the sink processes: the TOWER_* settings from loadServices().env. */
  env: Record<string, string>;
  /** More `tower-sink run` flags. Default none. */
  args?: string[];
  /** TOWER_LOG_LEVEL of the sinks. Default `warn`. */
  logLevel?: string;
  /** Sink output is kept (last 64 KiB) and also copied to this process' stderr when true. Default false. */
  echo?: boolean;
}

export interface SinkHandle {
  readonly index: number;
  /** Pid of the current process (changes on restart); undefined while not running. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Sends `signal` (default SIGTERM) to the current process. */
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when the current process has exited (at once if none runs); its exit code or signal. */
  exited(): Promise<number | NodeJS.Signals | null>;
  /** Stops the current process if any (SIGTERM, SIGKILL after 10 s) and starts a new one with the same settings. */
  restart(): Promise<void>;
  /** SIGTERM, then SIGKILL after `killAfterMs` (default 10 000). */
  stop(killAfterMs?: number): Promise<number | NodeJS.Signals | null>;
  /** The last 64 KiB of the process' stdout and stderr, over all restarts. */
  output(): string;
}

const SINK_MAIN = join(REPO_ROOT, 'dist/consumer/main.js');
const KEEP_OUTPUT = 64 * 1024;

/**
 * Starts `count` real tower-sink processes (the built dist/consumer/main.js
 * `run`) in one consumer group. Build first (`npm run build`). Every handle is
 * also killed (SIGKILL) when this process exits.
 */
export function startSinks(count: number, options: SinkRunOptions): SinkHandle[] {
  return Array.from({ length: count }, (_, index) => startSink(index, options));
}

export async function stopSinks(sinks: readonly SinkHandle[]): Promise<void> {
  await Promise.all(sinks.map((sink) => sink.stop()));
}

function startSink(index: number, options: SinkRunOptions): SinkHandle {
  let child: ChildProcess | undefined;
  let exit: Promise<number | NodeJS.Signals | null> = Promise.resolve(null);
  let output = '';
  const killOnExit = () => child?.kill('SIGKILL');
  const launch = () => {
    const args = [SINK_MAIN, 'run', '--topic', options.topic, '--group', options.group, '--client-id', `tower-sink-fleet-${index}`, ...(options.args ?? [])];
    const proc = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH ?? '', ...options.env, TOWER_LOG_LEVEL: options.logLevel ?? 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-KEEP_OUTPUT);
      if (options.echo) process.stderr.write(chunk);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    exit = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal)));
    void exit.then(() => {
      if (child === proc) child = undefined;
      process.off('exit', killOnExit);
    });
    process.on('exit', killOnExit);
    child = proc;
  };
  const stop = async (killAfterMs = 10_000) => {
    const proc = child;
    if (!proc) return exit;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
    const result = await exit;
    clearTimeout(timer);
    return result;
  };
  launch();
  return {
    index,
    get pid() {
      return child?.pid;
    },
    get running() {
      return child !== undefined;
    },
    kill: (signal = 'SIGTERM') => child?.kill(signal),
    exited: () => exit,
    restart: async () => {
      await stop();
      launch();
    },
    stop,
    output: () => output,
  };
}

/**
 * Points `group` at the current end of `topic`, so that sinks joining it skip
 * what older runs left there (tower-sink starts a new group at the beginning).
 * Only valid while the group has no members.
 */
export async function startGroupAtEnd(kafka: Kafka, group: string, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({ groupId: group, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
  } finally {
    await admin.disconnect();
  }
}

/** Waits until `group` is Stable with `members` members, or `timeoutMs` passes; returns whether it did. */
export async function waitForGroup(kafka: Kafka, group: string, members: number, timeoutMs: number): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { groups } = await admin.describeGroups([group]).catch(() => ({ groups: [] }));
      const state = groups[0];
      if (state?.state === 'Stable' && state.members.length === members) return true;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return false;
  } finally {
    await admin.disconnect();
  }
}
