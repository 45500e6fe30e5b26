// deploy/nuc: compose.yaml against the Compose Specification's JSON schema and
// a real `docker compose config`, its wiring (ports, listeners, quorum, start
// order, variables, secrets), make-env.sh, the tower-sink image's inputs, and
// tower-sink.service under systemd-analyze. No Docker engine is needed: the
// schema and a docker compose binary come from the Go module proxy through
// deploy/nuc/compose-tools.sh, cached under ~/.cache/tower.
import assert from 'node:assert/strict';
import { type StdioOptions, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { parseSinkArgs, sinkOptions } from '../../src/consumer/cli.js';
import { withTowerEnv } from '../support/towerEnv.js';
import { scratchDirs } from './scratch.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NUC = join(ROOT, 'deploy/nuc');
const read = (path: string) => readFileSync(join(NUC, path), 'utf8');

const tempDir = scratchDirs('tower-nuc');

// ------------------------------------------------------------ the model ---

type Scalar = string | number | boolean | null;
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, Scalar>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string | string[] };
  restart?: string;
}
interface Compose {
  services: Record<string, Service>;
}

/** compose.yaml as Compose reads it: YAML merge keys (`<<: *anchor`) resolved. */
const loadCompose = (text: string) => parse(text, { merge: true }) as Compose;
const COMPOSE_TEXT = read('compose.yaml');
const compose = loadCompose(COMPOSE_TEXT);
const service = (name: string): Service => {
  const found = compose.services[name];
  assert.ok(found, `compose.yaml has no service ${name}`);
  return found;
};
const env = (name: string, key: string) => String(service(name).environment?.[key] ?? '');

/** Every string in a parsed document, keys included. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
  return [];
}

/** Names Compose interpolates: ${NAME}, ${NAME:-default}, ${NAME:?error}, $NAME; `$$` is a literal `$`. */
function interpolatedNames(values: string[]): string[] {
  const names = new Set<string>();
  for (const value of values) {
    for (const m of value.replaceAll('$$', '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)) names.add((m[1] ?? m[2]) as string);
  }
  return [...names].sort();
}

/** KEY=value lines of an env file. */
function envFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out.set(m[1] as string, m[2] as string);
  }
  return out;
}
const ENV_EXAMPLE = envFile(read('.env.example'));
const isSecretName = (name: string) => /PASSWORD|TOKEN|SECRET/.test(name);

/** The command-line parts of a service: what `ps` and `docker inspect` show. */
const commandLines = (s: Service) => [...strings(s.command), ...strings(s.entrypoint), ...strings(s.healthcheck?.test)];

/** controller.quorum.voters: `id@host:port,…`. */
function voters(text: string): { id: number; host: string; port: number }[] {
  return text.split(',').map((entry) => {
    const m = /^(\d+)@([^:]+):(\d+)$/.exec(entry.trim());
    assert.ok(m, `bad voter ${entry}`);
    return { id: Number(m[1]), host: m[2] as string, port: Number(m[3]) };
  });
}

/** Services in an order that starts each after everything it depends on; throws on a cycle. */
function startOrder(services: Record<string, Service>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`depends_on cycle: ${[...path, name].join(' → ')}`);
    state.set(name, 'visiting');
    for (const dep of Object.keys(services[name]?.depends_on ?? {})) visit(dep, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of Object.keys(services).sort()) visit(name, []);
  return order;
}

/**
 * Whether a .dockerignore keeps `path` in the build context: the last pattern
 * matching the path or one of its parent directories decides; `!` re-includes.
 * Patterns support `*` and `?` within one path segment, as Docker's do.
 */
function inBuildContext(dockerignore: string, path: string): boolean {
  const rules = dockerignore
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = (negate ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replaceAll('*', '[^/]*')
        .replaceAll('?', '[^/]');
      return { negate, regex: new RegExp(`^${source}$`) };
    });
  const segments = path.split('/');
  const prefixes = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
  let included = true;
  for (const rule of rules) if (prefixes.some((p) => rule.regex.test(p))) included = rule.negate;
  return included;
}

/** Sources of a Dockerfile's COPY/ADD lines that read the build context (not --from=). */
function contextSources(dockerfile: string): string[] {
  return dockerfile
    .split('\n')
    .filter((line) => /^(COPY|ADD)\s/i.test(line) && !/--from=/.test(line))
    .flatMap((line) =>
      line
        .trim()
        .split(/\s+/)
        .slice(1)
        .filter((word) => !word.startsWith('--'))
        .slice(0, -1),
    );
}

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; stdio?: StdioOptions } = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (r.error) throw r.error;
  return r;
}

/** A tool from compose-tools.sh: downloaded or built once, then cached. */
function composeTool(tool: 'schema' | 'compose'): string {
  const r = run('bash', [join(NUC, 'compose-tools.sh'), tool]);
  assert.equal(r.status, 0, `compose-tools.sh ${tool} failed:\n${r.stderr}`);
  const path = r.stdout.trim();
  assert.ok(existsSync(path), `compose-tools.sh ${tool} printed ${path}, which does not exist`);
  return path;
}

/** A .env made by make-env.sh (and the file's path). */
function madeEnv(nucHost?: string): { path: string; values: Map<string, string> } {
  const path = join(tempDir('env'), '.env');
  const r = run('bash', [join(NUC, 'make-env.sh'), ...(nucHost ? ['--nuc-host', nucHost] : []), '--out', path]);
  assert.equal(r.status, 0, r.stderr);
  return { path, values: envFile(readFileSync(path, 'utf8')) };
}

// ---------------------------------------------------------------- tests ---

test('the helpers: interpolated names, voters, start order, .dockerignore, COPY sources', () => {
  assert.deepEqual(interpolatedNames(['${A}', 'x${B:-d}y', '${C:?set C}', '$D/$$E', '$${F}', 'plain']), ['A', 'B', 'C', 'D']);
  assert.deepEqual(voters('0@c0:9093,1@c1:9093'), [
    { id: 0, host: 'c0', port: 9093 },
    { id: 1, host: 'c1', port: 9093 },
  ]);
  assert.deepEqual(startOrder({ b: { depends_on: { a: { condition: 'service_healthy' } } }, a: {} }), ['a', 'b']);
  assert.throws(() => startOrder({ a: { depends_on: { b: { condition: 'x' } } }, b: { depends_on: { a: { condition: 'x' } } } }), /cycle/);
  const ignore = '# c\n*\n!src/\n!package.json\nsrc/secret*\n';
  assert.equal(inBuildContext(ignore, 'src/consumer/main.ts'), true);
  assert.equal(inBuildContext(ignore, 'package.json'), true);
  assert.equal(inBuildContext(ignore, 'src/secret.env'), false);
  assert.equal(inBuildContext(ignore, 'deploy/nuc/.env'), false);
  assert.equal(inBuildContext('', 'anything'), true);
  assert.deepEqual(contextSources('FROM x\nCOPY a b ./\nCOPY --chown=1 c /d\nCOPY --from=build /e ./\nRUN cp f g\n'), ['a', 'b', 'c']);
});

test('compose.yaml is valid against the Compose Specification schema, and the validator rejects broken copies', (t) => {
  const schemaPath = composeTool('schema');
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  // The schema names its draft-07 meta-schema by an https URL that Ajv does not
  // know by that name; Ajv's own draft-07 (its default) is the same.
  delete schema.$schema;
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  const errors = (doc: unknown) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));
  t.diagnostic(`schema: ${schemaPath}`);
  assert.deepEqual(errors(compose), [], 'compose.yaml breaks the Compose Specification');

  const broken = (edit: (doc: Compose) => void) => {
    const copy = loadCompose(COMPOSE_TEXT);
    edit(copy);
    return errors(copy);
  };
  const unknownKey = broken((doc) => Object.assign(doc.services.broker0 as object, { depends_om: {} }));
  assert.ok(
    unknownKey.some((e) => e.startsWith('/services/broker0 ') && /additional properties/.test(e)),
    unknownKey.join('\n'),
  );
  const badCondition = broken((doc) => {
    (doc.services['tower-sink']?.depends_on as Record<string, { condition: string }>).topics = { condition: 'service_finished' };
  });
  assert.ok(
    badCondition.some((e) => e.startsWith('/services/tower-sink/depends_on/topics/condition')),
    badCondition.join('\n'),
  );
  const badPorts = broken((doc) => Object.assign(doc.services.broker1 as object, { ports: '9091:9091' }));
  assert.ok(
    badPorts.some((e) => e.startsWith('/services/broker1/ports')),
    badPorts.join('\n'),
  );
});

/** `docker compose config` of compose.yaml with the env file at envPath. */
function composeConfig(envPath: string) {
  const bin = composeTool('compose');
  // A clean environment: Compose prefers the caller's variables to the .env file.
  const home = tempDir('home');
  const clean = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, DOCKER_CONFIG: home };
  return run(bin, ['--project-directory', NUC, '-f', join(NUC, 'compose.yaml'), '--env-file', envPath, 'config', '--format', 'json'], {
    env: clean,
    cwd: home,
  });
}

/** compose.yaml as `docker compose config` resolves it, with a .env from make-env.sh. */
function resolvedCompose(nucHost?: string): { resolved: Compose & { name: string }; values: Map<string, string>; envPath: string } {
  const made = madeEnv(nucHost);
  const r = composeConfig(made.path);
  assert.equal(r.status, 0, `docker compose config failed:\n${r.stderr}`);
  return { resolved: JSON.parse(r.stdout) as Compose & { name: string }, values: made.values, envPath: made.path };
}

test('docker compose config accepts compose.yaml with a .env from make-env.sh, and refuses one that lacks a secret', (t) => {
  const bin = composeTool('compose');
  t.diagnostic(`${bin}: ${run(bin, ['version']).stdout.trim()}`);
  const { resolved, values, envPath } = resolvedCompose('labnuc');
  const made = { values, path: envPath };
  assert.equal(resolved.name, 'tower');
  assert.deepEqual(Object.keys(resolved.services).sort(), Object.keys(compose.services).sort());
  for (const [i, port] of [9090, 9091, 9092].entries()) {
    assert.equal(resolved.services[`broker${i}`]?.environment?.KAFKA_ADVERTISED_LISTENERS, `INTERNAL://broker${i}:19092,EXTERNAL://labnuc:${port}`);
  }
  assert.equal(resolved.services.controller0?.environment?.CLUSTER_ID, made.values.get('KAFKA_CLUSTER_ID'));
  assert.equal(resolved.services['tower-sink']?.build?.context.replace(/\/?$/, '/'), ROOT);
  // The generated secrets reach the environment, never a command line.
  const secrets = [...made.values].filter(([name]) => isSecretName(name)).map(([, value]) => value);
  assert.ok(secrets.length >= 3 && secrets.every((s) => s.length >= 16), 'make-env.sh made no secrets');
  const everyEnv = Object.values(resolved.services).flatMap((s) => Object.values(s.environment ?? {}).map(String));
  for (const secret of secrets) assert.ok(everyEnv.includes(secret), 'a secret from .env reaches no service');
  for (const [name, s] of Object.entries(resolved.services)) {
    const line = commandLines(s).join(' ');
    for (const secret of secrets) assert.ok(!line.includes(secret), `a secret is on the command line of ${name}`);
  }

  // Without TOWER_V1_PASSWORD: refused, saying what to set.
  const lacking = join(tempDir('env'), '.env');
  writeFileSync(lacking, readFileSync(made.path, 'utf8').replace(/^TOWER_V1_PASSWORD=.*$/m, 'TOWER_V1_PASSWORD='));
  const refused = composeConfig(lacking);
  assert.notEqual(refused.status, 0, 'docker compose config accepted an empty TOWER_V1_PASSWORD');
  assert.match(refused.stderr, /set TOWER_V1_PASSWORD in \.env/);
});

test('Kafka: 3 controllers as the voters, brokers 0-2 on 9090-9092 advertised by the NUC host name', () => {
  const controllers = ['controller0', 'controller1', 'controller2'];
  const brokers = ['broker0', 'broker1', 'broker2'];
  const all = [...controllers, ...brokers];
  for (const name of all) assert.equal(service(name).image, 'apache/kafka:4.2.0', name);
  // One quorum and one cluster ID for all six.
  const quorum = env('controller0', 'KAFKA_CONTROLLER_QUORUM_VOTERS');
  for (const name of all) {
    assert.equal(env(name, 'KAFKA_CONTROLLER_QUORUM_VOTERS'), quorum, name);
    assert.equal(env(name, 'CLUSTER_ID'), env('controller0', 'CLUSTER_ID'), name);
    assert.equal(env(name, 'KAFKA_CONTROLLER_LISTENER_NAMES'), 'CONTROLLER', name);
  }
  assert.deepEqual(
    voters(quorum).map((v) => v.host),
    controllers,
  );
  for (const voter of voters(quorum)) {
    assert.equal(env(voter.host, 'KAFKA_NODE_ID'), String(voter.id), `${voter.host}'s node id is not its voter id`);
    assert.equal(env(voter.host, 'KAFKA_PROCESS_ROLES'), 'controller');
    assert.equal(env(voter.host, 'KAFKA_LISTENERS'), `CONTROLLER://:${voter.port}`);
    assert.equal(service(voter.host).environment?.KAFKA_ADVERTISED_LISTENERS, undefined, 'the image refuses advertised listeners on a controller');
  }
  const ids = all.map((name) => env(name, 'KAFKA_NODE_ID'));
  assert.equal(new Set(ids).size, 6, `node ids must differ: ${ids.join(',')}`);

  for (const [i, name] of brokers.entries()) {
    const port = 9090 + i;
    assert.equal(env(name, 'KAFKA_PROCESS_ROLES'), 'broker');
    assert.deepEqual(service(name).ports, [`${port}:${port}`], `${name} must publish ${port}`);
    assert.equal(env(name, 'KAFKA_LISTENERS'), `INTERNAL://:19092,EXTERNAL://:${port}`);
    const advertised = env(name, 'KAFKA_ADVERTISED_LISTENERS').split(',');
    assert.deepEqual(advertised[0], `INTERNAL://${name}:19092`);
    assert.match(advertised[1] ?? '', new RegExp(`^EXTERNAL://\\$\\{NUC_HOSTNAME(:\\?[^}]*)?\\}:${port}$`));
    assert.equal(env(name, 'KAFKA_INTER_BROKER_LISTENER_NAME'), 'INTERNAL');
    assert.equal(env(name, 'KAFKA_DEFAULT_REPLICATION_FACTOR'), '3');
    assert.equal(env(name, 'KAFKA_MIN_INSYNC_REPLICAS'), '2');
    assert.equal(env(name, 'KAFKA_AUTO_CREATE_TOPICS_ENABLE'), 'false');
  }
  for (const name of controllers) assert.equal(service(name).ports, undefined, `${name} must not be published`);
  // Each node keeps its log in a volume of its own.
  for (const name of all) assert.deepEqual(service(name).volumes, [`${name}-data:/var/lib/kafka/data`]);

  // The topic init: resource with 3 partitions, RF 3, min ISR 2 and log-append time; resource.dlq.
  const init = strings(service('topics').command).join('\n');
  assert.match(init, /--partitions 3 --replication-factor 3/);
  assert.match(init, /^\s*topic resource min\.insync\.replicas=2,message\.timestamp\.type=LogAppendTime$/m);
  assert.match(init, /^\s*topic resource\.dlq min\.insync\.replicas=2$/m);
  assert.equal(env('topics', 'BOOTSTRAP'), brokers.map((b) => `${b}:19092`).join(','));
});

test('the topics service creates both topics with their settings, retrying while a broker is not ready', () => {
  // Its script as the container runs it: `docker compose config` keeps `$$`
  // (its output is a Compose file again); the container gets `$`. Kafka's
  // tools are stand-ins: kafka-topics.sh refuses the first creates, as while
  // a broker is still fenced.
  const { resolved } = resolvedCompose();
  const topics = resolved.services.topics as Service;
  assert.deepEqual(topics.entrypoint, ['bash', '-euc']);
  const script = ((topics.command as string[])[0] as string).replaceAll('$$', '$');
  const bin = tempDir('kafka-bin');
  const log = join(bin, 'calls.log');
  const stub = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/bash\necho "${name} $*" >>"${log}"\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  const runInit = (failCreates: number) => {
    writeFileSync(log, '');
    stub(
      'kafka-topics.sh',
      `if [[ "$*" == *--create* ]]; then n=$(grep -c -- --create "${log}"); [ "$n" -gt ${failCreates} ] || { echo "only 2 broker(s) are registered" >&2; exit 1; }; fi`,
    );
    stub('kafka-configs.sh', 'exit 0');
    stub('sleep', 'exit 0');
    // stdin not a socket: else Debian's bash reads /etc/bash.bashrc as for ssh.
    const r = run('bash', ['-euc', script.replaceAll('/opt/kafka/bin/', `${bin}/`)], {
      env: { PATH: `${bin}:${process.env.PATH ?? ''}`, BOOTSTRAP: String(topics.environment?.BOOTSTRAP) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return {
      ...r,
      calls: readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .filter((line) => !line.startsWith('sleep ')),
    };
  };

  const servers = '--bootstrap-server broker0:19092,broker1:19092,broker2:19092';
  const create = (topic: string, configs: string[]) =>
    `kafka-topics.sh ${servers} --create --if-not-exists --topic ${topic} --partitions 3 --replication-factor 3 ${configs.map((c) => `--config ${c}`).join(' ')}`;
  const alter = (topic: string, configs: string[]) =>
    `kafka-configs.sh ${servers} --alter --entity-type topics --entity-name ${topic} --add-config ${configs.join(',')}`;
  const resource = ['min.insync.replicas=2', 'message.timestamp.type=LogAppendTime'];
  const dlq = ['min.insync.replicas=2'];
  const ok = runInit(2);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(ok.calls, [
    create('resource', resource),
    create('resource', resource),
    create('resource', resource),
    alter('resource', resource),
    create('resource.dlq', dlq),
    alter('resource.dlq', dlq),
    `kafka-topics.sh ${servers} --describe --topic resource|resource\\.dlq`,
  ]);

  const never = runInit(1000);
  assert.notEqual(never.status, 0, 'the topics service must fail when the topic cannot be created');
  assert.match(never.stderr, /topic resource: not created after 30 tries/);
  assert.equal(never.calls.length, 30);
});

test('start order: controllers healthy → brokers healthy → topics done; influxdb healthy → influx-setup done → sink and chronograf', () => {
  const deps = (name: string) => Object.fromEntries(Object.entries(service(name).depends_on ?? {}).map(([dep, d]) => [dep, d.condition]));
  const healthy = 'service_healthy';
  const done = 'service_completed_successfully';
  for (const broker of ['broker0', 'broker1', 'broker2']) assert.deepEqual(deps(broker), { controller0: healthy, controller1: healthy, controller2: healthy });
  assert.deepEqual(deps('topics'), { broker0: healthy, broker1: healthy, broker2: healthy });
  assert.deepEqual(deps('influx-setup'), { influxdb: healthy });
  assert.deepEqual(deps('tower-sink'), { topics: done, 'influx-setup': done });
  assert.deepEqual(deps('chronograf'), { 'influx-setup': done });
  for (const name of ['controller0', 'controller1', 'controller2', 'influxdb']) assert.deepEqual(deps(name), {});

  for (const [name, s] of Object.entries(compose.services)) {
    for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
      if (condition === healthy) assert.ok(service(dep).healthcheck?.test, `${name} waits for ${dep} to be healthy, which has no healthcheck`);
      if (condition === done) assert.equal(service(dep).restart, 'no', `${name} waits for ${dep} to finish, which must not restart`);
    }
  }
  const order = startOrder(compose.services);
  const before = (a: string, b: string) => assert.ok(order.indexOf(a) < order.indexOf(b), `${a} must start before ${b}: ${order.join(', ')}`);
  before('controller2', 'broker0');
  before('broker2', 'topics');
  before('topics', 'tower-sink');
  before('influxdb', 'influx-setup');
  before('influx-setup', 'tower-sink');
  before('influx-setup', 'chronograf');

  // InfluxDB onboarded like the lab; influx-setup and the sink run the same image.
  assert.equal(service('influxdb').image, 'influxdb:2.8');
  assert.equal(env('influxdb', 'DOCKER_INFLUXDB_INIT_MODE'), 'setup');
  assert.equal(env('influxdb', 'DOCKER_INFLUXDB_INIT_ORG'), 'GIST');
  assert.equal(env('influxdb', 'DOCKER_INFLUXDB_INIT_BUCKET'), 'Labs');
  assert.deepEqual(service('influx-setup').build, service('tower-sink').build);
  assert.equal(service('influx-setup').image, service('tower-sink').image);
  assert.deepEqual(service('influx-setup').command, [
    'setup',
    '--influx-url=http://influxdb:8086',
    '--influx-org=GIST',
    '--influx-bucket=Labs',
    '--v1-db=Labs',
    '--v1-rp=autogen',
    '--v1-user=tower',
  ]);
  assert.deepEqual(service('tower-sink').command, ['run']);
  assert.equal(service('chronograf').image, 'chronograf:1.10');
});

test('every ${VAR} is in .env.example, which holds no secret; no secret is on a command line', () => {
  const used = interpolatedNames(strings(compose));
  assert.deepEqual(
    used.filter((name) => !ENV_EXAMPLE.has(name)),
    [],
    'variables compose.yaml uses that .env.example lacks',
  );
  assert.deepEqual(
    [...ENV_EXAMPLE.keys()].filter((name) => !used.includes(name)),
    [],
    '.env.example names variables compose.yaml never uses',
  );
  const secretNames = [...ENV_EXAMPLE.keys()].filter(isSecretName);
  assert.deepEqual(secretNames.sort(), ['INFLUX_ADMIN_PASSWORD', 'INFLUX_ADMIN_TOKEN', 'TOWER_V1_PASSWORD']);
  for (const name of secretNames) assert.equal(ENV_EXAMPLE.get(name), '', `.env.example must leave ${name} empty`);
  for (const [name, s] of Object.entries(compose.services)) {
    const onCommandLine = interpolatedNames(commandLines(s)).filter((v) => isSecretName(v) || v === 'KAFKA_CLUSTER_ID');
    assert.deepEqual(onCommandLine, [], `${name} puts a secret on its command line`);
  }
  // Secrets are required: a missing one stops `up` with a message instead of an empty password.
  for (const name of secretNames) {
    assert.ok(COMPOSE_TEXT.includes(`\${${name}:?set ${name} in .env`), `compose.yaml uses ${name} without :?`);
    assert.doesNotMatch(COMPOSE_TEXT, new RegExp(`\\$\\{${name}(\\}|:-)`), `${name} must not default to anything`);
  }
});

test('make-env.sh fills every secret with a fresh value, mode 600, and never overwrites', () => {
  const a = madeEnv('labnuc');
  const b = madeEnv();
  assert.equal(statSync(a.path).mode & 0o777, 0o600);
  assert.deepEqual([...a.values.keys()], [...ENV_EXAMPLE.keys()]);
  for (const [name, value] of a.values) assert.ok(value, `${name} is empty`);
  assert.equal(a.values.get('NUC_HOSTNAME'), 'labnuc');
  assert.equal(b.values.get('NUC_HOSTNAME'), ENV_EXAMPLE.get('NUC_HOSTNAME'));
  assert.match(a.values.get('KAFKA_CLUSTER_ID') ?? '', /^[A-Za-z0-9_-]{22}$/);
  assert.match(a.values.get('INFLUX_ADMIN_TOKEN') ?? '', /^[0-9a-f]{64}$/);
  const v1 = a.values.get('TOWER_V1_PASSWORD') ?? '';
  assert.ok(v1.length >= 8 && v1.length <= 72, 'the v1 password must be 8 to 72 bytes');
  for (const name of ['KAFKA_CLUSTER_ID', 'INFLUX_ADMIN_PASSWORD', 'INFLUX_ADMIN_TOKEN', 'TOWER_V1_PASSWORD']) {
    assert.notEqual(a.values.get(name), b.values.get(name), `${name} is not fresh`);
  }
  const before = readFileSync(a.path, 'utf8');
  const again = run('bash', [join(NUC, 'make-env.sh'), '--out', a.path]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /exists and is kept/);
  assert.equal(readFileSync(a.path, 'utf8'), before);
  assert.equal(run('bash', [join(NUC, 'make-env.sh'), '--nuc-host', 'bad host']).status, 2);
  assert.equal(run('bash', [join(NUC, 'make-env.sh'), '--help']).status, 0);
  // The real .env next to compose.yaml stays out of git and out of the image.
  assert.equal(run('git', ['check-ignore', '-q', 'deploy/nuc/.env'], { cwd: ROOT }).status, 0, 'deploy/nuc/.env is not git-ignored');
  assert.equal(inBuildContext(readFileSync(join(ROOT, '.dockerignore'), 'utf8'), 'deploy/nuc/.env'), false);
});

test('the tower-sink image: context is the repository, every COPY source exists and is in the context, runs as non-root', () => {
  const build = service('tower-sink').build;
  assert.ok(build);
  const context = resolve(NUC, build.context);
  assert.equal(`${context}/`, ROOT);
  const dockerfilePath = join(context, build.dockerfile);
  assert.ok(existsSync(dockerfilePath), `${build.dockerfile} is missing`);
  const dockerfile = readFileSync(dockerfilePath, 'utf8');
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
  const sources = contextSources(dockerfile);
  assert.deepEqual(sources, ['package.json', 'package-lock.json', 'tsconfig.json', 'src']);
  for (const source of sources) {
    assert.ok(existsSync(join(context, source)), `COPY ${source}: not in the repository`);
    assert.ok(inBuildContext(ignore, source), `COPY ${source}: .dockerignore leaves it out`);
  }
  for (const secretPath of ['.tower/services.env', 'node_modules/kafkajs/package.json', 'dist/consumer/main.js', '.git/config']) {
    assert.equal(inBuildContext(ignore, secretPath), false, `${secretPath} must stay out of the build context`);
  }
  assert.match(dockerfile, /^RUN npm ci\b/m);
  assert.match(dockerfile, /^RUN npm run build\b/m);
  const stages = dockerfile.split(/^FROM /m);
  const users = [...(stages[stages.length - 1] ?? '').matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
  assert.ok(users.length > 0 && !['root', '0'].includes(users[users.length - 1] as string), 'the final stage must run as a non-root USER');
  // What the entrypoint runs is what `npm run build` makes.
  assert.match(dockerfile, /ln -s \/app\/dist\/consumer\/main\.js \/usr\/local\/bin\/tower-sink/);
  assert.equal(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).bin['tower-sink'], 'dist/consumer/main.js');
});

test('chronograf: its resources path is ./chronograf, which is in the repository', () => {
  const chronograf = service('chronograf');
  const mount = chronograf.volumes?.find((v) => v.startsWith('./chronograf:'));
  assert.ok(mount, 'chronograf mounts no ./chronograf');
  const [source, target, mode] = mount.split(':');
  assert.equal(mode, 'ro');
  assert.deepEqual(chronograf.command, [`--resources-path=${target}`]);
  const dir = join(NUC, source as string);
  assert.ok(existsSync(dir) && statSync(dir).isDirectory(), `${dir} is missing`);
  assert.equal(env('chronograf', 'TOWER_INFLUX_URL'), 'http://influxdb:8086');
  assert.match(env('chronograf', 'TOWER_V1_PASSWORD'), /^\$\{TOWER_V1_PASSWORD:\?/);
});

test('tower-sink.service passes systemd-analyze verify and is hardened at least as well as tower-agent.service', async (t) => {
  const which = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (which.error) {
    assert.fail(`systemd-analyze is missing (${which.error.message}): install Debian's systemd package (apt-get install systemd); this test does not skip`);
  }
  const unit = read('tower-sink.service');
  const execStart = /^ExecStart=(\S+) (.*)$/m.exec(unit);
  assert.ok(execStart, 'no ExecStart=');
  assert.equal(execStart[1], '/usr/local/bin/tower-sink');

  // `verify` wants ExecStart='s program on this machine: a copy runs /bin/true.
  const dir = tempDir('unit');
  writeFileSync(join(dir, 'tower-sink.service'), unit.replace(/^ExecStart=\S+/m, 'ExecStart=/bin/true'));
  const verify = run('systemd-analyze', ['verify', join(dir, 'tower-sink.service')]);
  assert.equal(verify.status, 0, `systemd-analyze verify failed:\n${verify.stdout}${verify.stderr}`);
  assert.deepEqual(
    `${verify.stdout}${verify.stderr}`.split('\n').filter((line) => /tower-sink/.test(line)),
    [],
    'systemd-analyze verify warned',
  );

  const exposure = (path: string) => {
    const r = run('systemd-analyze', ['security', '--offline=yes', '--no-pager', path]);
    const score = /Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout)?.[1];
    assert.ok(score, `no exposure score for ${path}:\n${r.stdout}${r.stderr}`);
    return Number(score);
  };
  const sink = exposure(join(NUC, 'tower-sink.service'));
  const agent = exposure(join(ROOT, 'deploy/pi/tower-agent.service'));
  t.diagnostic(`systemd-analyze security: tower-sink.service exposure ${sink} (tower-agent.service ${agent})`);
  assert.ok(sink <= agent && sink <= 2.0, `tower-sink.service exposure ${sink} is worse than tower-agent.service's ${agent} or above 2.0`);
  for (const line of [
    'DynamicUser=yes',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'Restart=always',
    'LoadCredential=v1-password:/etc/tower/v1-password',
  ]) {
    assert.match(unit, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), `tower-sink.service lacks ${line}`);
  }
  assert.match(unit, /^RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX$/m);
  assert.match(unit, /^SystemCallFilter=@system-service$/m);
  assert.doesNotMatch(unit, /^\s*MemoryDenyWriteExecute=/m, "V8's JIT needs writable and executable memory");
  assert.doesNotMatch(unit, /^(Exec\w+|Environment)=.*(PASSWORD|TOKEN)=/m, 'a secret in the unit itself');

  // ExecStart's arguments, with %d (the credentials directory) and the
  // shipped sink.yaml, parse as the sink reads them: v1 writes with the password from the file.
  const creds = tempDir('creds');
  writeFileSync(join(creds, 'v1-password'), 'from-the-credential-file\n');
  const args = execStart[2]?.replaceAll('%d', creds).replace('/etc/tower/sink.yaml', join(NUC, 'sink.yaml')).split(' ') as string[];
  await withTowerEnv({}, async () => {
    const { command, argv } = await parseSinkArgs(args);
    assert.equal(command, 'run');
    const options = sinkOptions(argv);
    assert.deepEqual(options.brokers, ['nuc:9090', 'nuc:9091', 'nuc:9092']);
    assert.deepEqual(options.influx, {
      api: 'v1',
      url: 'http://localhost:8086',
      db: 'Labs',
      rp: 'autogen',
      user: 'tower',
      password: 'from-the-credential-file',
    });
    assert.equal(options.metricsPort, 9464);
  });
});
