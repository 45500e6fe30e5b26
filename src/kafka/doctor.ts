import { connect } from 'node:net';
import type { ConfigResourceTypes, Kafka } from 'kafkajs';
import { pino } from 'pino';
import type { Logger } from '../log.js';
import { createKafka, type KafkaConnectionOptions } from './client.js';
import { BrokerResolver } from './resolver.js';
import { alterTopicCommand, configList, createTopicCommand, RESOURCE_TOPIC, type TopicSettings, topicMismatches } from './topics.js';

/** One line of a doctor report. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What the user should do when the check failed. */
  fix?: string;
}

export interface BrokerCheckOptions {
  brokers: string[];
  hostsFile: string;
  topic: string;
  /** When given, the topic's partitions, replicas and configs must be these (src/kafka/topics.ts). */
  settings?: TopicSettings;
  timeoutMs?: number;
}

const quiet = pino({ level: 'silent' });
/** kafkajs' ConfigResourceTypes.TOPIC; its enum is not a named export Node can import from the CommonJS package. */
const TOPIC_RESOURCE: ConfigResourceTypes.TOPIC = 2;

/** The client a doctor run checks with: the program's own connection settings, under the client id `<id>-doctor`. */
export function doctorKafka(options: Omit<KafkaConnectionOptions, 'logger'>, logger: Logger): Kafka {
  const { brokers, clientId, hostsFile, security } = options;
  return createKafka({ brokers, clientId: `${clientId}-doctor`, hostsFile, security, logger });
}

/** Hosts entries, TCP reach, and the topic's metadata, as the lab's Pi sees them. */
export async function checkBrokers(kafka: Kafka, options: BrokerCheckOptions): Promise<Check[]> {
  const resolver = new BrokerResolver({ hostsFile: options.hostsFile, logger: quiet });
  const timeoutMs = options.timeoutMs ?? 3_000;
  const checks: Check[] = [];
  for (const broker of options.brokers) checks.push(...(await checkEndpoint(resolver, broker, options.hostsFile, timeoutMs, 'bootstrap broker')));
  if (checks.some((c) => !c.ok)) return checks;
  const admin = kafka.admin();
  try {
    await withTimeout(admin.connect(), timeoutMs * 3, 'connecting to the cluster');
    const cluster = await withTimeout(admin.describeCluster(), timeoutMs * 3, 'describing the cluster');
    for (const b of cluster.brokers) {
      checks.push(...(await checkEndpoint(resolver, `${b.host}:${b.port}`, options.hostsFile, timeoutMs, `broker ${b.nodeId} (advertised)`)));
    }
    const topic = await checkTopic(admin, options, timeoutMs);
    checks.push(topic.check);
    if (topic.replicas && options.settings) {
      checks.push(await checkTopicSettings(admin, options.topic, options.settings, topic.replicas, options.brokers, timeoutMs));
    }
  } catch (err) {
    checks.push({ name: 'cluster metadata', ok: false, detail: (err as Error).message, fix: BROKERS_DOWN_FIX });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return checks;
}

async function checkEndpoint(resolver: BrokerResolver, endpoint: string, hostsFile: string, timeoutMs: number, role: string): Promise<Check[]> {
  const [host, port] = splitEndpoint(endpoint);
  let address: string;
  try {
    address = (await resolver.resolve(host))[0]?.address as string;
  } catch {
    return [
      {
        name: `${role} ${endpoint}: name`,
        ok: false,
        detail: `"${host}" is neither in ${hostsFile} nor in DNS`,
        fix: `add the line "<NUC_IP> ${host}" to ${hostsFile}`,
      },
    ];
  }
  const reach = await tcpReach(address, port, timeoutMs);
  return [
    { name: `${role} ${endpoint}: name`, ok: true, detail: `${host} → ${address}` },
    reach === undefined
      ? { name: `${role} ${endpoint}: TCP`, ok: true, detail: `connected to ${address}:${port}` }
      : {
          name: `${role} ${endpoint}: TCP`,
          ok: false,
          detail: `${address}:${port}: ${reach}`,
          fix: `check that the broker runs and that port ${port} is open between this machine and ${host}`,
        },
  ];
}

/** Where the lab's brokers run: deploy/nuc/compose.yaml on the NUC, scripts/services/kafka.sh for development. */
const BROKERS_DOWN_FIX =
  'check that the brokers are up: on the NUC, docker compose ps broker0 broker1 broker2 (in deploy/nuc); for the development cluster, bash scripts/services/kafka.sh status';

/** The topic's leaders; when every partition has one, also each partition's replica count, for checkTopicSettings. */
async function checkTopic(admin: ReturnType<Kafka['admin']>, options: BrokerCheckOptions, timeoutMs: number): Promise<{ check: Check; replicas?: number[] }> {
  const { topic } = options;
  try {
    const { topics } = await withTimeout(admin.fetchTopicMetadata({ topics: [topic] }), timeoutMs * 3, 'reading topic metadata');
    const partitions = topics[0]?.partitions ?? [];
    const leaderless = partitions.filter((p) => p.leader < 0).length;
    if (leaderless > 0) {
      return {
        check: {
          name: `topic ${topic}`,
          ok: false,
          detail: `${leaderless} of ${partitions.length} partitions have no leader`,
          fix: 'start the stopped brokers',
        },
      };
    }
    const replicas = partitions.map((p) => p.replicas.length);
    return { check: { name: `topic ${topic}`, ok: true, detail: `${partitions.length} partitions, replicas ${replicas.join('/')}` }, replicas };
  } catch (err) {
    const command = createTopicCommand(topic, options.settings ?? RESOURCE_TOPIC, options.brokers.join(','));
    return { check: { name: `topic ${topic}`, ok: false, detail: (err as Error).message, fix: `create it on the NUC: ${command}` } };
  }
}

/** The topic's partitions, replica counts (REPLICAS, from checkTopic) and configs against SETTINGS, with the commands that fix a difference. */
async function checkTopicSettings(
  admin: ReturnType<Kafka['admin']>,
  topic: string,
  settings: TopicSettings,
  replicas: number[],
  brokers: string[],
  timeoutMs: number,
): Promise<Check> {
  const name = `topic ${topic} settings`;
  try {
    const described = await withTimeout(
      admin.describeConfigs({ includeSynonyms: false, resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: Object.keys(settings.configs) }] }),
      timeoutMs * 3,
      'describing the topic configs',
    );
    const resource = described.resources[0];
    if (resource && resource.errorCode !== 0) throw new Error(`describe configs: ${resource.errorMessage || `error code ${resource.errorCode}`}`);
    const configs = Object.fromEntries((resource?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
    const mismatches = topicMismatches(settings, { replicas, configs });
    if (mismatches.length === 0) {
      return {
        name,
        ok: true,
        detail: `${replicas.length} partitions, RF ${settings.replicationFactor}, ${configList(settings)}`,
      };
    }
    const bootstrap = brokers.join(',');
    const fixes: string[] = [];
    if (mismatches.some((m) => m.what === 'config')) fixes.push(`set the configs on the NUC: ${alterTopicCommand(topic, settings, bootstrap)}`);
    if (mismatches.some((m) => m.what !== 'config')) {
      fixes.push(
        `partitions and replicas cannot be changed in place without breaking the per-host order: stop the agents and sinks, then recreate the topic (this deletes its messages): kafka-topics.sh --bootstrap-server ${bootstrap} --delete --topic ${topic}; ${createTopicCommand(topic, settings, bootstrap)}`,
      );
    }
    return { name, ok: false, detail: mismatches.map((m) => m.detail).join('; '), fix: fixes.join('; and ') };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message, fix: BROKERS_DOWN_FIX };
  }
}

function tcpReach(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err) => done(err.message));
  });
}

function splitEndpoint(endpoint: string): [string, number] {
  const colon = endpoint.lastIndexOf(':');
  return [endpoint.slice(0, colon), Number(endpoint.slice(colon + 1))];
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Prints the checks as aligned lines and returns whether all passed. */
export function printChecks(checks: Check[], out: (line: string) => void): boolean {
  for (const check of checks) {
    out(`${check.ok ? ' ok ' : 'FAIL'}  ${check.name}: ${check.detail}`);
    if (!check.ok && check.fix) out(`      fix: ${check.fix}`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  out(failed === 0 ? `all ${checks.length} checks passed` : `${failed} of ${checks.length} checks failed`);
  return failed === 0;
}
