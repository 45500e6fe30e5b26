// npm run bench:agent [-- --seconds N] [-- --soak [--soak-minutes M]] [-- --entry bundle|sea|esm]
// Runs the real tower-agent at 1 Hz against the real brokers and, in the same
// run, the same delivery path fed by systeminformation calls; prints one JSON
// line with CPU ms per sample, RSS and child processes spawned per sample.
// The agent measured is dist/pi/tower-agent.cjs, the JavaScript that the Pi
// executables carry; --entry sea measures it as a single executable for this
// machine, --entry esm the npm package's dist/agent/main.js.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { AGENT_DEFAULTS } from '../src/agent/run.js';
import { readRssMb, readThreadsCpuMs } from '../support/fleet/procstat.js';
import { round } from '../support/fleet/summary.js';
import { kafkaEnv } from '../support/services.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Figures {
  cpu_ms_per_sample: number;
  rss_mb: number;
  spawns_per_sample: number;
  sent: number;
}

function brokers(): string {
  return kafkaEnv().TOWER_BROKERS;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `command` (an executable and its arguments) with the spawn counter preloaded. */
function start(command: string[], spawnFile: string): { child: ChildProcess; output: () => string } {
  const [file, ...argv] = command as [string, ...string[]];
  // NODE_OPTIONS rather than a flag: a single executable takes no node flags but honours it.
  const child = spawn(file, argv, {
    env: { ...process.env, TOWER_SPAWN_COUNT_FILE: spawnFile, NODE_OPTIONS: `--require ${join(root, 'bench/countSpawns.cjs')}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c));
  child.stderr?.on('data', (c: Buffer) => (output += c));
  return { child, output: () => output };
}

/**
 * The Pi's bundle as a single executable for this machine, made by the
 * script that makes the ARM ones (scripts/make-sea.sh), in a temporary
 * directory. The ARM executables only run under qemu here, where RSS and
 * CPU are qemu's.
 */
function hostSingleExecutable(bundle: string): string {
  const exe = join(mkdtempSync(join(tmpdir(), 'tower-bench-sea-')), 'tower-agent');
  execFileSync('bash', [join(root, 'scripts/make-sea.sh'), bundle, process.execPath, exe, process.execPath], { stdio: ['ignore', 'ignore', 'inherit'] });
  // A file just written is all in the page cache, and the kernel maps the
  // cached neighbours of each page a process touches into it: about 10 MB
  // more RSS than the same executable read from disk, as after a boot.
  execFileSync('dd', [`if=${exe}`, 'iflag=nocache', 'count=0', 'status=none']);
  return exe;
}

/** The spawn counter's count; its file is written as it loads, so a missing one means it never ran. */
function spawnCount(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8'));
  } catch {
    throw new Error(`the spawn counter (bench/countSpawns.cjs) did not load in the measured process: no ${file}`);
  }
}

/** Warms up, then measures over `seconds`; returns the figures and RSS at each checkpoint. */
async function measure(command: string[], seconds: number, warmupS: number, checkpoints: number[] = []): Promise<Figures & { rssAt: number[] }> {
  const spawnFile = join(mkdtempSync(join(tmpdir(), 'tower-bench-')), 'spawns');
  const { child, output } = start(command, spawnFile);
  const pid = child.pid as number;
  // Start-up (loading modules, the inventory's helper processes, the first
  // connections) is paid once, not per sample: it is left out of the figures.
  await sleep(warmupS * 1000);
  const t0 = { cpu: readThreadsCpuMs(pid) ?? 0, spawns: spawnCount(spawnFile), at: Date.now() };
  const rssAt: number[] = [];
  let maxRss = 0;
  for (let s = 1; s <= seconds; s += 1) {
    await sleep(1_000);
    maxRss = Math.max(maxRss, readRssMb(pid) ?? 0);
    if (checkpoints.includes(s)) rssAt.push(round(readRssMb(pid) ?? 0, 1));
  }
  await sleep(1_100);
  const elapsedS = (Date.now() - t0.at) / 1000;
  const cpuMs = (readThreadsCpuMs(pid) ?? 0) - t0.cpu;
  const spawns = spawnCount(spawnFile) - t0.spawns;
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  const sent = Number(/"sent":(\d+)/.exec(output())?.[1] ?? 0);
  if (sent === 0) throw new Error(`the benchmarked agent delivered nothing:\n${output()}`);
  return { cpu_ms_per_sample: round(cpuMs / elapsedS, 2), rss_mb: round(maxRss, 1), spawns_per_sample: round(spawns / elapsedS, 2), sent, rssAt };
}

async function main(): Promise<void> {
  const args = await yargs(hideBin(process.argv))
    .option('seconds', { type: 'number', default: 60, describe: 'Measured seconds per sampler, after the warm-up' })
    .option('warmup', { type: 'number', default: 30, describe: 'Seconds each sampler runs before measuring starts' })
    .option('linger-ms', { type: 'number', default: AGENT_DEFAULTS.lingerMs, describe: "The agent's --linger-ms, for both samplers" })
    .option('entry', {
      choices: ['bundle', 'sea', 'esm'] as const,
      default: 'bundle' as const,
      describe:
        "bundle: dist/pi/tower-agent.cjs (what the Pi executables carry); sea: that bundle as this machine's single executable; esm: dist/agent/main.js",
    })
    .option('soak', { type: 'boolean', default: false, describe: 'Run tower-agent alone for --soak-minutes and report RSS growth' })
    .option('soak-minutes', { type: 'number', default: 10, describe: 'Length of the soak; RSS is read at the end of every minute' })
    .strict()
    .parseAsync();
  const list = brokers();
  const tag = randomBytes(3).toString('hex');
  const linger = String(args.lingerMs);
  const bundle = join(root, 'dist/pi/tower-agent.cjs');
  const entry = {
    bundle: () => [process.execPath, bundle],
    sea: () => [hostSingleExecutable(bundle)],
    esm: () => [process.execPath, join(root, 'dist/agent/main.js')],
  }[args.entry]();
  if (args.entry === 'sea') process.once('exit', () => rmSync(dirname(entry[0] as string), { recursive: true, force: true }));
  const towerArgs = (host: string) => [
    ...entry,
    'run',
    '--brokers',
    list,
    '--host',
    host,
    '--linger-ms',
    linger,
    '--spool-dir',
    mkdtempSync(join(tmpdir(), 'tower-bench-spool-')),
  ];
  if (args.soak) {
    const minutes = Array.from({ length: args.soakMinutes }, (_, i) => i + 1);
    const { rssAt, ...soak } = await measure(
      towerArgs(`bench-soak-${tag}`),
      args.soakMinutes * 60,
      args.warmup,
      minutes.map((m) => m * 60),
    );
    const [first = 0] = rssAt;
    const last = rssAt.at(-1) ?? 0;
    const growth = { rss_mb_by_minute: rssAt, rss_mb_minute1: first, rss_mb_last_minute: last, rss_growth_mb: round(last - first, 1) };
    console.log(JSON.stringify({ bench: 'agent-soak', entry: args.entry, seconds: args.soakMinutes * 60, linger_ms: args.lingerMs, ...soak, ...growth }));
    return;
  }
  const tower = await measure(towerArgs(`bench-tower-${tag}`), args.seconds, args.warmup);
  const siArgs = [
    process.execPath,
    join(root, 'dist-bench/bench/siAgent.js'),
    list,
    `bench-si-${tag}`,
    mkdtempSync(join(tmpdir(), 'tower-bench-spool-')),
    linger,
  ];
  const systeminformation = await measure(siArgs, args.seconds, args.warmup);
  const strip = ({ rssAt: _, ...f }: Figures & { rssAt: number[] }) => f;
  console.log(
    JSON.stringify({
      bench: 'agent',
      entry: args.entry,
      seconds: args.seconds,
      warmup_s: args.warmup,
      linger_ms: args.lingerMs,
      node: process.version,
      tower: strip(tower),
      systeminformation: strip(systeminformation),
      cpu_ratio_si_over_tower: round(systeminformation.cpu_ms_per_sample / tower.cpu_ms_per_sample, 1),
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
