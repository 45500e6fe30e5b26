/**
 * TLS and SASL against the lab cluster's SASL_SSL listeners (scripts/services/kafka.sh):
 * every mechanism round-trips a message through Tower's own connection code,
 * wrong credentials and an untrusted certificate are refused, and the real
 * tower-agent delivers its samples over SASL_SSL with the password only in its
 * environment.
 *
 * Needs the cluster running (`bash scripts/services/kafka.sh start`); reads
 * $TOWER_STATE_DIR (default .tower)/kafka.env and kafka/sasl.env. The SASL_SSL
 * port of each broker is its PLAINTEXT port + 100 (9190-9192 for 9090-9092).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Admin, Kafka } from 'kafkajs';
import { createKafka } from '../../src/kafka/client.js';
import { type KafkaSecurityArgs, kafkaSecurity } from '../../src/kafka/security.js';
import { createLogger } from '../../src/log.js';
import { decodeSample, type Sample } from '../../src/schema/sample.js';
import { readEnvFile } from '../../support/services.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const stateDir = process.env.TOWER_STATE_DIR ?? join(root, '.tower');
const TOPIC = 'resource';
const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

const kafkaEnv = readEnvFile(join(stateDir, 'kafka.env'));
const saslEnvFile = join(stateDir, 'kafka', 'sasl.env');
const saslEnv = readEnvFile(saslEnvFile);
const caFile = join(stateDir, 'kafka', 'tls', 'ca.pem');
const username = saslEnv.TOWER_SASL_USERNAME ?? '';
const password = saslEnv.TOWER_SASL_PASSWORD ?? '';
const saslBrokers = (kafkaEnv.TOWER_BROKERS ?? '').split(',').map((broker) => {
  const match = /^(.+):(\d+)$/.exec(broker.trim());
  if (!match) throw new Error(`TOWER_BROKERS in ${stateDir}/kafka.env is not host:port,…: ${kafkaEnv.TOWER_BROKERS}`);
  return `${match[1]}:${Number(match[2]) + 100}`;
});

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
const logger = createLogger('security-test', 'silent');

let secretsDir = '';
let passwordFile = '';
let wrongPasswordFile = '';

function client(args: KafkaSecurityArgs): Kafka {
  return createKafka({ brokers: saslBrokers, clientId: unique('tower-security-test'), logger, security: kafkaSecurity(args) });
}

const good = (mechanism: string): KafkaSecurityArgs => ({
  tlsCaFile: caFile,
  saslMechanism: mechanism,
  saslUsername: username,
  saslPasswordFile: passwordFile,
});

/** Rejects with a clear message when PROMISE has not settled within MS. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

type Offsets = { partition: number; offset: string }[];

/** The end offset of every partition of the topic: where a reader for what comes next starts. */
async function endOffsets(kafka: Kafka): Promise<Offsets> {
  const admin = kafka.admin();
  await within(20_000, 'admin connect over SASL_SSL', admin.connect());
  try {
    const offsets = await within(20_000, `offsets of ${TOPIC}`, admin.fetchTopicOffsets(TOPIC));
    return offsets.map(({ partition, high }) => ({ partition, offset: high }));
  } finally {
    await admin.disconnect();
  }
}

interface Received {
  key: string;
  value: Buffer;
  partition: number;
}

/**
 * Reads TOPIC from FROM with a fresh consumer group until MIN messages keyed
 * KEY arrived (or TIMEOUT_MS passed), then deletes the group. The consumer
 * seeks to FROM as soon as it has its partitions (kafkajs' admin.setOffsets
 * would cost a hidden consumer and a 5 s fetch wait); until then it reads from
 * the beginning, and the unique key filters out anything older.
 */
async function readKeyed(kafka: Kafka, from: Offsets, key: string, min: number, timeoutMs: number): Promise<Received[]> {
  const groupId = unique('tower-security-test');
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const found: Received[] = [];
  consumer.on(consumer.events.GROUP_JOIN, () => {
    for (const { partition, offset } of from) consumer.seek({ topic: TOPIC, partition, offset });
  });
  try {
    await within(20_000, 'consumer connect', consumer.connect());
    await within(20_000, 'consumer subscribe', consumer.subscribe({ topic: TOPIC, fromBeginning: true }));
    await within(
      timeoutMs,
      `${min} message(s) keyed ${key} on ${TOPIC}`,
      new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ partition, message }) => {
              if (message.key?.toString() !== key || !message.value) return;
              found.push({ key, value: message.value, partition });
              if (found.length >= min) resolve();
            },
          })
          .catch(reject);
      }),
    ).catch((err: Error) => {
      throw new Error(`${err.message} (got ${found.length})`);
    });
    return found;
  } finally {
    await within(15_000, 'consumer disconnect', consumer.disconnect()).catch(() => undefined);
    const admin: Admin = kafka.admin();
    await within(
      15_000,
      'delete the test group',
      admin.connect().then(() => admin.deleteGroups([groupId])),
    )
      .catch(() => undefined)
      .finally(() => admin.disconnect());
  }
}

/** Connects a producer with ARGS and expects the connection to fail; returns the error. */
async function connectFails(args: KafkaSecurityArgs): Promise<Error & { name: string }> {
  const producer = client(args).producer({ retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 } });
  try {
    await within(60_000, 'a connection that should fail', producer.connect());
  } catch (err) {
    return err as Error & { name: string };
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  assert.fail(`connecting with ${JSON.stringify({ ...args, saslPasswordFile: undefined })} succeeded but should not`);
}

before(() => {
  assert.ok(username, `no TOWER_SASL_USERNAME in ${saslEnvFile}`);
  assert.ok(password, `no TOWER_SASL_PASSWORD in ${saslEnvFile}`);
  assert.ok(existsSync(caFile), `no CA at ${caFile}`);
  secretsDir = mkdtempSync(join(tmpdir(), 'tower-security-'));
  passwordFile = join(secretsDir, 'password');
  wrongPasswordFile = join(secretsDir, 'wrong-password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  writeFileSync(wrongPasswordFile, `not-${password}\n`, { mode: 0o600 });
});

after(() => {
  if (secretsDir) rmSync(secretsDir, { recursive: true, force: true });
});

test('sasl.env is private and the CA is a PEM certificate', () => {
  assert.equal(statSync(saslEnvFile).mode & 0o077, 0, `${saslEnvFile} must be mode 600`);
  assert.equal(username, 'tower');
  assert.match(readFileSync(caFile, 'utf8'), /^-----BEGIN CERTIFICATE-----/);
});

describe('a keyed message round-trips over SASL_SSL', () => {
  for (const mechanism of MECHANISMS) {
    test(mechanism, { timeout: 150_000 }, async () => {
      const kafka = client(good(mechanism));
      const from = await endOffsets(kafka);
      const key = unique(`security-${mechanism}`);
      const value = `hello over ${mechanism} ${Date.now()}`;
      const producer = kafka.producer();
      await within(20_000, 'producer connect', producer.connect());
      try {
        const [meta] = await within(20_000, 'produce', producer.send({ topic: TOPIC, acks: -1, messages: [{ key, value }] }));
        assert.equal(meta?.errorCode, 0);
      } finally {
        await producer.disconnect();
      }
      const [received] = await readKeyed(kafka, from, key, 1, 60_000);
      assert.equal(received?.value.toString(), value);
    });
  }
});

describe('refused connections', () => {
  for (const mechanism of MECHANISMS) {
    test(`a wrong password is rejected (${mechanism})`, { timeout: 90_000 }, async () => {
      const err = await connectFails({ ...good(mechanism), saslPasswordFile: wrongPasswordFile });
      assert.equal(err.name, 'KafkaJSSASLAuthenticationError', `${err.name}: ${err.message}`);
      assert.match(err.message, /authentication failed/i);
    });
  }

  test('an unknown user is rejected (scram-sha-512)', { timeout: 90_000 }, async () => {
    const err = await connectFails({ ...good('scram-sha-512'), saslUsername: unique('nobody') });
    assert.equal(err.name, 'KafkaJSSASLAuthenticationError', `${err.name}: ${err.message}`);
  });

  test('TLS without the lab CA is rejected (self-signed certificate)', { timeout: 90_000 }, async () => {
    const err = await connectFails({ tls: true, saslMechanism: 'scram-sha-512', saslUsername: username, saslPasswordFile: passwordFile });
    const detail = `${err.name}: ${err.message} ${String((err as { cause?: unknown }).cause ?? '')}`;
    assert.match(detail, /self[- ]signed certificate/i, detail);
  });
});

/** Builds dist/ when a source file is newer than the agent's entry point. */
function ensureBuilt(): void {
  const entry = join(root, 'dist', 'agent', 'main.js');
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
  if (newest(join(root, 'src')) <= built) return;
  const out = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.equal(out.status, 0, `npm run build failed:\n${out.stdout}${out.stderr}`);
}

function stopChild(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

test('tower-agent delivers samples over SASL_SSL (scram-sha-512, password from the environment)', { timeout: 180_000 }, async () => {
  ensureBuilt();
  const kafka = client(good('scram-sha-512'));
  const from = await endOffsets(kafka);
  const host = unique('security-agent');
  const spoolDir = join(secretsDir, 'spool');
  const args = [
    join(root, 'dist', 'agent', 'main.js'),
    'run',
    '--brokers',
    saslBrokers.join(','),
    '--tls-ca-file',
    caFile,
    '--sasl-mechanism',
    'scram-sha-512',
    '--sasl-username',
    username,
    '--host',
    host,
    '--spool-dir',
    spoolDir,
  ];
  const agent = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', TOWER_SASL_PASSWORD: password },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  agent.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  agent.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Stop the agent once two of its samples are on the topic, not after a
  // fixed time: on a busy machine its start and TLS handshake take longer.
  let code: number | null;
  let received: Received[];
  try {
    received = await readKeyed(kafka, from, host, 2, 120_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${output}`);
    });
  } finally {
    code = await stopChild(agent);
  }
  assert.equal(code, 0, `tower-agent exited with ${code}:\n${output}`);
  assert.ok(!args.join(' ').includes(password), 'the password must not be on the command line');
  assert.ok(!output.includes(password), 'tower-agent must not log the password');
  const stopped = output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg?: string; delivered?: number; spooled?: number })
    .find((entry) => entry.msg === 'agent stopped');
  assert.ok(stopped, `no "agent stopped" line:\n${output}`);

  const samples: Sample[] = received.map((r) => decodeSample(r.value));
  assert.ok(samples.length >= 2, `expected ≥ 2 samples, got ${samples.length}\n${output}`);
  for (const sample of samples) {
    assert.equal(sample.host, host);
    assert.ok(typeof sample.fields.CPU_Usage === 'number', `sample without CPU_Usage: ${JSON.stringify(sample)}`);
  }
  assert.equal(new Set(received.map((r) => r.partition)).size, 1, 'one host, one partition');
});
