import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { influxQL } from '../../src/influx/query.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The settings `npm run services:up` wrote, read the way a user's shell would source them. */
export function servicesEnv(): Record<string, string> {
  return readEnvFile(`${root}.tower/services.env`);
}

function readEnvFile(file: string): Record<string, string> {
  const out = spawnSync('bash', ['-c', 'set -a; . "$1"; set +a; node -e "process.stdout.write(JSON.stringify(process.env))"', 'env', file], {
    encoding: 'utf8',
    env: {},
  });
  if (out.status !== 0) throw new Error(`cannot read ${file}; run npm run services:up first\n${out.stderr}`);
  const all = JSON.parse(out.stdout) as Record<string, string>;
  return Object.fromEntries(Object.entries(all).filter(([key]) => key.startsWith('TOWER_')));
}

/** Just the Kafka settings (`.tower/kafka.env`), for tests that need no InfluxDB. */
export function kafkaEnv(): Record<string, string> & { TOWER_BROKERS: string } {
  const env = readEnvFile(`${root}.tower/kafka.env`);
  if (!env.TOWER_BROKERS) throw new Error('no TOWER_BROKERS in .tower/kafka.env; run npm run services:up first');
  return env as Record<string, string> & { TOWER_BROKERS: string };
}

export interface Program {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<number | null>;
}

/** Runs a built Tower program (`agent` or `consumer`) as a real process, optionally behind a prefix such as `ip netns exec pi`. */
export function startProgram(role: 'agent' | 'consumer', args: string[], env: Record<string, string>, prefix: string[] = []): Program {
  const argv = [...prefix, process.execPath, `${root}dist/${role}/main.js`, ...args];
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
