import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { influxQL } from '../src/influx/query.js';
import { REPO_ROOT } from './services.js';

export interface Program {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<number | null>;
}

/** Runs a built Tower program (`agent` or `consumer`) as a real process, optionally behind a prefix such as `ip netns exec pi`. */
export function startProgram(role: 'agent' | 'consumer', args: string[], env: Record<string, string>, prefix: string[] = []): Program {
  const argv = [...prefix, process.execPath, join(REPO_ROOT, `dist/${role}/main.js`), ...args];
  const child = spawn(argv[0] as string, argv.slice(1), {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export type Row = Record<string, number | string | null>;

/** Runs an InfluxQL query through InfluxDB's v1 /query endpoint as the lab's v1 user. */
export async function v1Query(env: Record<string, string>, query: string): Promise<Row[]> {
  const series = await influxQL({ url: env.TOWER_INFLUX_URL ?? '', user: env.TOWER_V1_USER ?? '', password: env.TOWER_V1_PASSWORD ?? '' }, 'Labs', query);
  return series.flatMap((s) => s.values.map((values) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, values[i] ?? null])) })));
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(500);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function memAvailableNowKb(): number {
  const match = /^MemAvailable:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  if (!match) throw new Error('no MemAvailable in /proc/meminfo');
  return Number(match[1]);
}

/** A TCP port on 127.0.0.1 that nothing listened on a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no TCP port on 127.0.0.1');
  return address.port;
}
