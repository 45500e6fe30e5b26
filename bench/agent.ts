// npm run bench:agent [-- --seconds N] [-- --soak [--soak-minutes M]] [-- --entry bundle|sea|esm] [-- --vs-telegraf PATH] [-- --vs-bundle PATH] [-- --vs-node-options FLAGS] [-- --node-options FLAGS]
// Runs the real tower-agent at 1 Hz against the real brokers and, in the same
// run, the same delivery path fed by systeminformation calls; prints one JSON
// line with CPU ms per sample, RSS and child processes spawned per sample.
// The agent measured is dist/pi/tower-agent.cjs, the JavaScript that the Pi
// executables carry; --entry sea measures it as a single executable for this
// machine (beside a bare single executable, the floor: bare_sea), --entry
// esm the npm package's dist/agent/main.js. --vs-telegraf
// runs tower-agent and the given Telegraf side by side instead, at both
// cadences (one produce request per sample, and per --linger-ms), four
// processes at once. --vs-bundle does the same with another build of the
// agent's bundle (another commit's dist/pi/tower-agent.cjs) instead of Telegraf,
// --vs-node-options with this build under other NODE_OPTIONS.
// Every Node process measured runs with the NODE_OPTIONS of the agent's systemd
// unit (--node-options to change them).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kafka } from 'kafkajs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { AGENT_DEFAULTS } from '../src/agent/run.js';
import { readRssMb, readThreadsCpuMs } from '../support/fleet/procstat.js';
import { mean, round } from '../support/fleet/summary.js';
import { benchKafka, ensureTopic, kafkaEnv } from '../support/services.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Figures {
  cpu_ms_per_sample: number;
  /** Peak RSS over the measured window, MB. */
  rss_mb: number;
  rss_mean_mb: number;
  spawns_per_sample: number;
}

/** A process to measure: its command line, whether it is Node (which gets the spawn counter), and the NODE_OPTIONS it runs with. */
interface Subject {
  command: string[];
  node: boolean;
  nodeOptions?: string;
}

interface Measured extends Figures {
  rssAt: number[];
  output: string;
}

interface Window {
  seconds: number;
  warmupS: number;
  /** Seconds into the window at which RSS is also recorded. */
  checkpoints?: number[];
}

function brokers(): string {
  return kafkaEnv().TOWER_BROKERS;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a subject, Node ones with the spawn counter preloaded. */
function start(subject: Subject, spawnFile: string): { child: ChildProcess; output: () => string } {
  const [file, ...argv] = subject.command as [string, ...string[]];
  // NODE_OPTIONS rather than a flag: a single executable takes no node flags but honours it.
  const counter = subject.node ? { TOWER_SPAWN_COUNT_FILE: spawnFile } : {};
  const nodeOptions = [subject.nodeOptions, subject.node && `--require ${join(root, 'bench/countSpawns.cjs')}`].filter(Boolean).join(' ');
  const env = { ...process.env, ...counter, ...(nodeOptions && { NODE_OPTIONS: nodeOptions }) };
  const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
  const dir = mkdtempSync(join(tmpdir(), 'tower-bench-sea-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const exe = join(dir, 'tower-agent');
  execFileSync('bash', [join(root, 'scripts/make-sea.sh'), bundle, process.execPath, exe, process.execPath], { stdio: ['ignore', 'ignore', 'inherit'] });
  // A file just written is all in the page cache, and the kernel maps the
  // cached neighbours of each page a process touches into it: about 10 MB
  // more RSS than the same executable read from disk, as after a boot.
  execFileSync('dd', [`if=${exe}`, 'iflag=nocache', 'count=0', 'status=none']);
  return exe;
}

/** A CommonJS script that does nothing but keep a 1 s interval timer, for the bare single executable. */
function bareScript(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tower-bench-bare-')), 'bare.cjs');
  writeFileSync(file, 'setInterval(() => {}, 1000);\n');
  process.once('exit', () => rmSync(dirname(file), { recursive: true, force: true }));
  return file;
}

/** The spawn counter's count; its file is written as it loads, so a missing one means it never ran. */
function spawnCount(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8'));
  } catch {
    throw new Error(`the spawn counter (bench/countSpawns.cjs) did not load in the measured process: no ${file}`);
  }
}

/**
 * Starts every subject at once, warms up, then measures them all over the
 * same window; returns their figures in the subjects' order.
 */
async function measure(subjects: Subject[], window: Window): Promise<Measured[]> {
  const runs = subjects.map((subject) => {
    const spawnFile = join(mkdtempSync(join(tmpdir(), 'tower-bench-')), 'spawns');
    const spawns = () => (subject.node ? spawnCount(spawnFile) : 0);
    return { ...start(subject, spawnFile), spawns, rss: [] as number[], rssAt: [] as number[] };
  });
  const pid = (run: (typeof runs)[number]) => run.child.pid as number;
  // Start-up (loading modules, the inventory's helper processes, the first
  // connections) is paid once, not per sample: it is left out of the figures.
  await sleep(window.warmupS * 1000);
  const at = Date.now();
  const t0 = runs.map((run) => ({ cpu: readThreadsCpuMs(pid(run)) ?? 0, spawns: run.spawns() }));
  for (let s = 1; s <= window.seconds; s += 1) {
    await sleep(1_000);
    for (const run of runs) {
      const rss = readRssMb(pid(run)) ?? 0;
      run.rss.push(rss);
      if (window.checkpoints?.includes(s)) run.rssAt.push(round(rss, 1));
    }
  }
  await sleep(1_100);
  const elapsedS = (Date.now() - at) / 1000;
  const figures = runs.map((run, i) => ({
    cpu_ms_per_sample: round(((readThreadsCpuMs(pid(run)) ?? 0) - (t0[i]?.cpu ?? 0)) / elapsedS, 2),
    rss_mb: round(Math.max(...run.rss), 1),
    rss_mean_mb: round(mean(run.rss), 1),
    spawns_per_sample: round((run.spawns() - (t0[i]?.spawns ?? 0)) / elapsedS, 2),
    rssAt: run.rssAt,
  }));
  await Promise.all(runs.map((run) => stop(run.child)));
  return figures.map((f, i) => ({ ...f, output: runs[i]?.output() ?? '' }));
}

function stop(child: ChildProcess): Promise<unknown> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  return exited;
}

/** A tower-agent's figures, with the samples it says it delivered; none delivered fails the run. */
function towerFigures({ rssAt: _, output, ...figures }: Measured): Figures & { sent: number } {
  const sent = Number(/"sent":(\d+)/.exec(output)?.[1] ?? 0);
  if (sent === 0) throw new Error(`the benchmarked agent delivered nothing:\n${output}`);
  return { ...figures, sent };
}

/** Telegraf's equivalent of the agent: cpu (total only) and mem each second, to Kafka with acks=all and gzip. */
function telegrafConfig(options: { brokers: string; topic: string; host: string; flushS: number }): string {
  const list = options.brokers
    .split(',')
    .map((b) => JSON.stringify(b))
    .join(', ');
  return `[agent]
  interval = "1s"
  flush_interval = "${options.flushS}s"
  collection_jitter = "0s"
  flush_jitter = "0s"
  hostname = "${options.host}"

[[inputs.cpu]]
  percpu = false
  totalcpu = true

[[inputs.mem]]

[[outputs.kafka]]
  brokers = [${list}]
  topic = "${options.topic}"
  required_acks = -1
  compression_codec = 1
  data_format = "influx"
`;
}

/** Messages on `topic`, all partitions. */
async function messagesOn(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

interface VsTelegrafOptions {
  telegraf: string;
  brokers: string;
  tag: string;
  lingerMs: number;
  window: Window;
  tower: (host: string, lingerMs: number) => Subject;
}

/**
 * tower-agent sending each sample at once and lingering `lingerMs`, and
 * Telegraf flushing every second and every max(1, lingerMs / 1000) s, all
 * four at once over the same window. Each Telegraf writes to a topic of its
 * own (line protocol, which the sink does not read).
 */
async function vsTelegraf(options: VsTelegrafOptions): Promise<Record<string, unknown>> {
  const kafka = benchKafka(options.brokers.split(','), 'bench-agent');
  const config = mkdtempSync(join(tmpdir(), 'tower-bench-telegraf-'));
  const cadences = [0, options.lingerMs].map((lingerMs) => ({ lingerMs, flushS: Math.max(1, Math.round(lingerMs / 1000)) }));
  const telegrafs = cadences.map(({ flushS }) => {
    const topic = `bench-telegraf-${flushS}s`;
    const file = join(config, `telegraf-${flushS}s.conf`);
    writeFileSync(file, telegrafConfig({ brokers: options.brokers, topic, host: `bench-telegraf-${options.tag}`, flushS }));
    return { topic, flushS, subject: { command: [options.telegraf, '--config', file], node: false } };
  });
  for (const t of telegrafs) await ensureTopic(kafka, t.topic);
  const before = await Promise.all(telegrafs.map((t) => messagesOn(kafka, t.topic)));
  const towers = cadences.map(({ lingerMs }) => options.tower(`bench-tower-${lingerMs}-${options.tag}`, lingerMs));
  const measured = await measure([...towers, ...telegrafs.map((t) => t.subject)], options.window);
  rmSync(config, { recursive: true, force: true });
  const tower = cadences.map(({ lingerMs }, i) => ({ linger_ms: lingerMs, ...towerFigures(measured[i] as Measured) }));
  const telegraf = await Promise.all(
    telegrafs.map(async (t, i) => {
      const { rssAt: _, output, spawns_per_sample: __, ...figures } = measured[towers.length + i] as Measured;
      const sent = (await messagesOn(kafka, t.topic)) - (before[i] ?? 0);
      if (sent === 0) throw new Error(`Telegraf (flush ${t.flushS} s) delivered nothing to ${t.topic}:\n${output}`);
      return { flush_interval_s: t.flushS, ...figures, sent_metrics: sent };
    }),
  );
  return { tower, telegraf };
}

/**
 * This build of the agent and another agent (`other`: another build, or this
 * one with other NODE_OPTIONS), each sending every sample at once and
 * lingering `lingerMs`, all four at once over the same window.
 */
async function vsOther(options: {
  lingerMs: number;
  tag: string;
  window: Window;
  tower: (host: string, lingerMs: number) => Subject;
  other: (host: string, lingerMs: number) => Subject;
}): Promise<Record<string, unknown>> {
  const builds = [
    { build: 'this', subject: options.tower },
    { build: 'other', subject: options.other },
  ];
  const runs = [0, options.lingerMs].flatMap((lingerMs) => builds.map((b) => ({ ...b, lingerMs })));
  const subjects = runs.map((r) => r.subject(`bench-${r.build}-${r.lingerMs}-${options.tag}`, r.lingerMs));
  const measured = await measure(subjects, options.window);
  const tower = runs.map((r, i) => ({ build: r.build, linger_ms: r.lingerMs, ...towerFigures(measured[i] as Measured) }));
  return { tower };
}

/** The NODE_OPTIONS that the agent's systemd unit sets, or '' if it sets none. */
function serviceNodeOptions(): string {
  const unit = readFileSync(join(root, 'deploy/pi/tower-agent.service'), 'utf8');
  return /^Environment=NODE_OPTIONS=(.*)$/m.exec(unit)?.[1]?.trim() ?? '';
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
    .option('vs-telegraf', {
      type: 'string',
      describe:
        'A Telegraf binary (npm run build:telegraf makes one) run beside tower-agent: the agent at --linger-ms 0 and --linger-ms, Telegraf at flush_interval 1 s and the same, all four at once',
    })
    .option('vs-bundle', {
      type: 'string',
      describe: "Another build's dist/pi/tower-agent.cjs run beside this one, both at --linger-ms 0 and --linger-ms, four agents at once",
    })
    .option('vs-node-options', {
      type: 'string',
      conflicts: ['vs-bundle', 'vs-telegraf', 'soak'],
      describe:
        'This build run with these NODE_OPTIONS beside itself with --node-options, both at --linger-ms 0 and --linger-ms, four agents at once ("" for none)',
    })
    .option('node-options', {
      type: 'string',
      default: serviceNodeOptions(),
      describe:
        'NODE_OPTIONS for every Node process measured (agents, bare_sea, the systeminformation sampler); default: the Environment=NODE_OPTIONS= of deploy/pi/tower-agent.service, what the Pi runs with. "" for none',
    })
    .strict()
    .parseAsync();
  const list = brokers();
  const tag = randomBytes(3).toString('hex');
  const bundle = join(root, 'dist/pi/tower-agent.cjs');
  const entryOf = (file: string) =>
    ({
      bundle: () => [process.execPath, file],
      sea: () => [hostSingleExecutable(file)],
      esm: () => [process.execPath, join(root, 'dist/agent/main.js')],
    })[args.entry]();
  const entry = entryOf(bundle);
  // The spawn counter (inherited by every Node subject) makes ES module imports see its
  // hooks only for the ESM entry: that takes node:module, which the bundle does not load.
  process.env.TOWER_SPAWN_COUNT_ESM = args.entry === 'esm' ? '1' : '';
  const nodeOptions = args.nodeOptions;
  const towerSubject = (host: string, lingerMs = args.lingerMs, command = entry, flags = nodeOptions): Subject => ({
    command: towerArgs(command, host, lingerMs),
    node: true,
    nodeOptions: flags,
  });
  const towerArgs = (command: string[], host: string, lingerMs: number) => [
    ...command,
    'run',
    '--brokers',
    list,
    '--host',
    host,
    '--linger-ms',
    String(lingerMs),
    '--spool-dir',
    mkdtempSync(join(tmpdir(), 'tower-bench-spool-')),
  ];
  const window = { seconds: args.seconds, warmupS: args.warmup };
  const run = { entry: args.entry, seconds: args.seconds, warmup_s: args.warmup, node: process.version, node_options: nodeOptions };
  if (args.vsTelegraf) {
    const vs = await vsTelegraf({ telegraf: args.vsTelegraf, brokers: list, tag, lingerMs: args.lingerMs, window, tower: towerSubject });
    console.log(JSON.stringify({ bench: 'agent-vs-telegraf', ...run, ...vs }));
    return;
  }
  if (args.vsBundle !== undefined || args.vsNodeOptions !== undefined) {
    if (args.entry === 'esm') throw new Error('--vs-bundle and --vs-node-options measure the bundle: --entry bundle or sea');
    const { vsBundle, vsNodeOptions } = args;
    const other =
      vsBundle !== undefined
        ? (host: string, lingerMs: number) => towerSubject(host, lingerMs, entryOf(vsBundle))
        : (host: string, lingerMs: number) => towerSubject(host, lingerMs, entry, vsNodeOptions);
    const vs = await vsOther({ lingerMs: args.lingerMs, tag, window, tower: towerSubject, other });
    const against = vsBundle !== undefined ? { other: vsBundle } : { other_node_options: vsNodeOptions };
    console.log(JSON.stringify({ bench: vsBundle !== undefined ? 'agent-vs-bundle' : 'agent-vs-node-options', ...run, ...against, ...vs }));
    return;
  }
  if (args.soak) {
    const minutes = Array.from({ length: args.soakMinutes }, (_, i) => i + 1);
    const [measured] = await measure([towerSubject(`bench-soak-${tag}`)], {
      seconds: args.soakMinutes * 60,
      warmupS: args.warmup,
      checkpoints: minutes.map((m) => m * 60),
    });
    const { rssAt } = measured as Measured;
    const [first = 0] = rssAt;
    const last = rssAt.at(-1) ?? 0;
    const growth = { rss_mb_by_minute: rssAt, rss_mb_minute1: first, rss_mb_last_minute: last, rss_growth_mb: round(last - first, 1) };
    const soak = towerFigures(measured as Measured);
    console.log(JSON.stringify({ bench: 'agent-soak', entry: args.entry, seconds: args.soakMinutes * 60, linger_ms: args.lingerMs, ...soak, ...growth }));
    return;
  }
  // Beside a single executable, the floor: one of a script that only runs a 1 s timer, made the same way.
  const bare = args.entry === 'sea' ? [{ command: [hostSingleExecutable(bareScript())], node: false, nodeOptions }] : [];
  const [tower, floor] = await measure([towerSubject(`bench-tower-${tag}`), ...bare], window);
  const siArgs = [
    process.execPath,
    join(root, 'dist-bench/bench/siAgent.js'),
    list,
    `bench-si-${tag}`,
    mkdtempSync(join(tmpdir(), 'tower-bench-spool-')),
    String(args.lingerMs),
  ];
  const [systeminformation] = await measure([{ command: siArgs, node: true, nodeOptions }], window);
  const towerResult = towerFigures(tower as Measured);
  const siResult = towerFigures(systeminformation as Measured);
  console.log(
    JSON.stringify({
      bench: 'agent',
      ...run,
      linger_ms: args.lingerMs,
      tower: towerResult,
      ...(floor && { bare_sea: { cpu_ms_per_sample: floor.cpu_ms_per_sample, rss_mb: floor.rss_mb, rss_mean_mb: floor.rss_mean_mb } }),
      systeminformation: siResult,
      cpu_ratio_si_over_tower: round(siResult.cpu_ms_per_sample / towerResult.cpu_ms_per_sample, 1),
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
