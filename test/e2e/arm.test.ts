/**
 * The Raspberry Pi build (`npm run build:pi`): the one-file bundle on this
 * machine's node, and both single executables under qemu-user, sampling and
 * delivering to the real Kafka cluster, each with the environment that the
 * Pi's systemd unit sets (NODE_OPTIONS=--jitless).
 *
 * Runs `bash scripts/build-pi.sh` first (seconds when dist/pi is up to date;
 * on a fresh machine it installs qemu and the ARM libraries and fetches the ARM
 * Node binaries); set TOWER_PI_SKIP_BUILD=1 to test dist/pi as it is.
 * Needs the Kafka cluster: `bash scripts/services/kafka.sh start` (or
 * `npm run services:up`), which writes .tower/kafka.env.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { decodeSample, ENCODING_MSGPACK, HEADER_ENCODING, type Sample } from '../../src/schema/sample.js';
import { readEnvFile } from '../../support/services.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const piDir = join(root, 'dist', 'pi');
const bundle = join(piDir, 'tower-agent.cjs');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

interface Target {
  arch: 'arm64' | 'armv7l';
  exe: string;
  /** qemu-user command and its arguments; the executable follows. */
  qemu: string[];
  /** ELF class (1: 32-bit, 2: 64-bit) and e_machine (0x28 ARM, 0xb7 AArch64). */
  elf: { bits: number; machine: number };
}

const TARGETS: Target[] = [
  {
    arch: 'arm64',
    exe: join(piDir, 'tower-agent-linux-arm64'),
    qemu: ['qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu'],
    elf: { bits: 2, machine: 0xb7 },
  },
  {
    arch: 'armv7l',
    exe: join(piDir, 'tower-agent-linux-armv7l'),
    qemu: ['qemu-arm-static', '-L', '/usr/arm-linux-gnueabihf'],
    elf: { bits: 1, machine: 0x28 },
  },
];

/** Starting under qemu takes seconds; on a loaded machine tens of them. */
const QEMU_COMMAND_MS = 60_000;
const DELIVERY_MS = 75_000;

let work = '';

/** The Environment= settings of deploy/pi/tower-agent.service: what the agent runs with on the Pi. */
function unitEnvironment(): Record<string, string> {
  const unit = readFileSync(join(root, 'deploy', 'pi', 'tower-agent.service'), 'utf8');
  const settings = [...unit.matchAll(/^Environment=([A-Z_]+)=(.*)$/gm)].map((m) => [m[1] as string, m[2] as string]);
  assert.ok(settings.length > 0, 'tower-agent.service sets no Environment=');
  return Object.fromEntries(settings);
}

/** A clean environment but the unit's: no test-runner variables reach the program. */
function programEnv(): NodeJS.ProcessEnv {
  return {
    ...unitEnvironment(),
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: work,
    XDG_STATE_HOME: join(work, 'state'),
    TOWER_SPOOL_DIR: join(work, `spool-${randomBytes(3).toString('hex')}`),
    TOWER_LOG_LEVEL: 'info',
  };
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], timeoutMs: number): Promise<Result> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: work, env: programEnv(), timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const runExe = (target: Target, args: string[], timeoutMs = QEMU_COMMAND_MS) =>
  run(target.qemu[0] as string, [...target.qemu.slice(1), target.exe, ...args], timeoutMs);

function checkSampleLines(result: Result, count: number): void {
  const detail = `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  assert.equal(result.code, 0, detail);
  const lines = result.stdout.trim().split('\n');
  assert.equal(lines.length, count, detail);
  for (const line of lines) {
    const { time, fields } = JSON.parse(line) as { time: number; fields: Record<string, number> };
    assert.ok(Number.isSafeInteger(time) && Math.abs(Date.now() - time) < 5 * 60_000, `time ${time}`);
    const cpu = fields.CPU_Usage;
    assert.ok(typeof cpu === 'number' && cpu >= 0 && cpu <= 100, `CPU_Usage ${cpu} outside 0–100`);
    const memory = fields.memory;
    assert.ok(typeof memory === 'number' && memory > 0, `memory ${memory} not > 0`);
  }
}

/** TOWER_BROKERS as kafka.sh wrote it (.tower/kafka.env), else services.env, else the environment. */
function brokers(): string {
  const state = process.env.TOWER_STATE_DIR ?? join(root, '.tower');
  for (const file of [join(state, 'kafka.env'), join(state, 'services.env')]) {
    if (!existsSync(file)) continue;
    const found = readEnvFile(file).TOWER_BROKERS;
    if (found) return found;
  }
  if (process.env.TOWER_BROKERS) return process.env.TOWER_BROKERS;
  throw new Error(`no TOWER_BROKERS in ${state}/kafka.env: start Kafka with 'bash scripts/services/kafka.sh install && bash scripts/services/kafka.sh start'`);
}

interface Delivered {
  key: string;
  sample: Sample;
  encoding: string | undefined;
}

/** Reads topic `resource` from the beginning in a fresh group, keeping the messages keyed by `host`. */
async function collect(brokerList: string[], host: string) {
  const kafka = new Kafka({ clientId: 'tower-arm-e2e', brokers: brokerList, logLevel: logLevel.NOTHING });
  const groupId = `tower-arm-e2e-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId });
  const found: Delivered[] = [];
  const errors: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: 'resource', fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const key = message.key?.toString();
      if (key !== host || !message.value) return;
      try {
        const encoding = message.headers?.[HEADER_ENCODING]?.toString();
        found.push({ key, sample: decodeSample(message.value), encoding });
      } catch (err) {
        errors.push((err as Error).message);
      }
    },
  });
  return {
    found,
    errors,
    close: async () => {
      await consumer.disconnect().catch(() => undefined);
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.deleteGroups([groupId]);
      } catch {
        // best effort: an empty group expires on its own
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
  };
}

async function until(what: string, timeoutMs: number, done: () => boolean, alive: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    const died = alive();
    if (died) throw new Error(`${what}: ${died}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const children = new Set<ChildProcess>();

before(() => {
  work = mkdtempSync(join(tmpdir(), 'tower-arm-e2e-'));
  if (process.env.TOWER_PI_SKIP_BUILD !== '1') {
    const started = Date.now();
    const build = spawnSync('bash', [join(root, 'scripts', 'build-pi.sh')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 15 * 60_000,
      killSignal: 'SIGKILL',
    });
    assert.equal(build.status, 0, `build:pi failed (${build.error?.message ?? `exit ${build.status}`}):\n${build.stdout}${build.stderr}`);
    process.stderr.write(`[arm e2e] build:pi took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  for (const file of [bundle, ...TARGETS.map((t) => t.exe)]) {
    assert.ok(existsSync(file), `${file} missing: run npm run build:pi`);
  }
});

after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('tower-agent.cjs (one file, this machine’s node)', () => {
  test('runs alone, away from node_modules: --version, --help, sample', async () => {
    const alone = join(work, 'alone');
    mkdirSync(alone);
    const copy = join(alone, 'tower-agent.cjs');
    copyFileSync(bundle, copy);

    const v = await run(process.execPath, [copy, '--version'], 20_000);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), version);

    const help = await run(process.execPath, [copy, '--help'], 20_000);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /\brun\b/);
    assert.match(help.stdout, /\bsample\b/);

    checkSampleLines(await run(process.execPath, [copy, 'sample', '--count', '2', '--interval', '0.5'], 20_000), 2);
  });

  test('run delivers with --linger-ms 0 and serves /metrics, loading none of the Node modules the bundle keeps out', {
    timeout: DELIVERY_MS + 45_000,
  }, async () => {
    // scripts/bundle-agent.mjs: loaded on first use, or not bundled. node:http is loaded by --metrics-port.
    const keptOut = ['tls', 'crypto', 'assert', 'worker_threads', 'module', 'internal/fs/promises', 'internal/readline/interface', 'internal/crypto/webcrypto'];
    const listFile = join(work, 'modules.json');
    const preload = join(work, 'module-list.cjs');
    writeFileSync(
      preload,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(listFile)}, JSON.stringify(process.moduleLoadList)));\n`,
    );
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const args = ['--require', preload, bundle, 'run', '--host', `bundle-e2e-${randomBytes(4).toString('hex')}`, '--brokers', brokers()];
    args.push('--linger-ms', '0', '--metrics-port', String(port), '--spool-dir', join(work, 'bundle-spool'));
    const agent = spawn(process.execPath, args, { cwd: work, env: programEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(agent);
    let output = '';
    agent.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    agent.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
    const agentDied = () => (agent.exitCode !== null || agent.signalCode !== null ? `agent exited early:\n${output}` : undefined);
    try {
      const deadline = Date.now() + DELIVERY_MS;
      for (let sent = 0; sent < 3; ) {
        const died = agentDied();
        if (died) throw new Error(died);
        if (Date.now() > deadline) throw new Error(`${sent} samples sent after ${DELIVERY_MS} ms:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then(
          (r) => r.text(),
          () => '',
        );
        sent = Number(/^tower_agent_sent_total (\d+)$/m.exec(metrics)?.[1] ?? 0);
      }
      agent.kill('SIGTERM');
      assert.equal(await exited, 0, `agent exit after SIGTERM:\n${output}`);
    } finally {
      if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
      children.delete(agent);
    }
    const loaded = new Set((JSON.parse(readFileSync(listFile, 'utf8')) as string[]).map((entry) => entry.replace(/^NativeModule /, '')));
    assert.ok(loaded.has('http') && loaded.has('net') && loaded.has('zlib'), 'the list holds the modules the agent uses');
    assert.deepEqual(
      keptOut.filter((name) => loaded.has(name)),
      [],
      'Node modules loaded although the bundle keeps them out',
    );
  });
});

for (const target of TARGETS) {
  describe(`tower-agent-linux-${target.arch} under ${target.qemu[0]}`, () => {
    test('is an ARM ELF executable; --version and --help', { timeout: 2 * QEMU_COMMAND_MS }, async () => {
      const header = Buffer.alloc(20);
      const fd = openSync(target.exe, 'r');
      readSync(fd, header, 0, 20, 0);
      closeSync(fd);
      assert.equal(header.subarray(0, 4).toString('latin1'), '\x7fELF');
      assert.equal(header[4], target.elf.bits, 'ELF class');
      assert.equal(header.readUInt16LE(18), target.elf.machine, 'ELF machine');
      const v = await runExe(target, ['--version']);
      assert.equal(v.code, 0, `${v.stdout}${v.stderr}`);
      assert.equal(v.stdout.trim(), version);
      const help = await runExe(target, ['--help']);
      assert.equal(help.code, 0, `${help.stdout}${help.stderr}`);
      assert.match(help.stdout, /\bsample\b/);
      assert.doesNotMatch(`${v.stderr}${help.stderr}`, /ExperimentalWarning|single executable/i);
    });

    test('sample --count 2 --interval 0.5 prints two JSON lines', { timeout: QEMU_COMMAND_MS + 5_000 }, async () => {
      checkSampleLines(await runExe(target, ['sample', '--count', '2', '--interval', '0.5']), 2);
    });

    test('run delivers samples keyed by its host to Kafka, and stops on SIGTERM', { timeout: DELIVERY_MS + 45_000 }, async () => {
      const brokerList = brokers();
      const host = `pi-e2e-${target.arch}-${randomBytes(4).toString('hex')}`;
      const startedAt = Date.now();
      const agent = spawn(target.qemu[0] as string, [...target.qemu.slice(1), target.exe, 'run', '--host', host, '--brokers', brokerList], {
        cwd: work,
        env: programEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(agent);
      let output = '';
      agent.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      agent.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        agent.once('exit', (code, signal) => resolve({ code, signal })),
      );
      const agentDied = () =>
        agent.exitCode !== null || agent.signalCode !== null ? `agent exited early (${agent.exitCode ?? agent.signalCode}):\n${output}` : undefined;

      let consumer: Awaited<ReturnType<typeof collect>> | undefined;
      try {
        consumer = await collect(brokerList.split(','), host);
        const { found } = consumer;
        await until('3 samples of this host in Kafka', DELIVERY_MS, () => found.length >= 3, agentDied);
        agent.kill('SIGTERM');
        const timer = setTimeout(() => agent.kill('SIGKILL'), 20_000);
        const { code, signal } = await exited;
        clearTimeout(timer);
        assert.equal(code, 0, `agent exit ${code ?? signal} after SIGTERM:\n${output}`);
        assert.match(output, /agent started/);
      } finally {
        await consumer?.close();
        if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
        children.delete(agent);
      }

      assert.deepEqual(consumer.errors, [], 'every message keyed by the host decodes');
      const times = new Set<number>();
      for (const { key, sample, encoding } of consumer.found) {
        assert.equal(key, host);
        assert.equal(sample.host, host);
        assert.equal(encoding, ENCODING_MSGPACK);
        assert.ok(sample.time >= startedAt - 1_000 && sample.time <= Date.now(), `sample time ${sample.time} outside the run`);
        const cpu = sample.fields.CPU_Usage;
        assert.ok(typeof cpu === 'number' && cpu >= 0 && cpu <= 100, `CPU_Usage ${cpu} outside 0–100`);
        const memory = sample.fields.memory;
        assert.ok(typeof memory === 'number' && memory > 0, `memory ${memory} not > 0`);
        times.add(sample.time);
      }
      assert.ok(times.size >= 3, `${times.size} distinct sample times`);
    });
  });
}
