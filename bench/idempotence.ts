// npm run bench:idempotence [-- --crashes N] [-- --lost-acks N] [-- --lost-acks-s S]
// Should tower-agent use kafkajs' idempotent producer? Two agents on a "Pi"
// (a network namespace, as in the topology test) send 10 samples a second
// each to a fresh one-partition topic on the real cluster through the
// agent's own Spool, Delivery and SampleProducer: one with
// `idempotent: true`, one without (bench/idempotence/pair.ts). Two faults:
//   crash      the partition's leader is SIGKILLed, down --crash-s, restarted
//   lost-acks  the NUC's replies to the Pi are dropped for --lost-acks-s
//              (a blackhole route to the Pi's address; the Pi's requests
//              still arrive): a produce is written but its reply never comes,
//              as when a Pi's Wi-Fi drops at the wrong moment
// Then the topic is read back and each agent's samples counted: taken,
// acknowledged, on the topic, duplicated, missing, still spooled, send
// errors by kind. One JSON line per producer. Needs root (ip netns, ip route)
// and `npm run services:up`; takes about 4 minutes with the defaults.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { decodeSample } from '../src/schema/sample.js';
import { PiNamespace } from '../test/e2e/netns.js';
import { killBroker, leaderOf, startBroker } from './drills/faults.js';
import { loadStack } from './drills/stack.js';
import { sleep } from './drills/stream.js';
import { REPO_ROOT, benchKafka } from './fleet/services.js';
import type { AgentReport } from './idempotence/pair.js';

const pi = (nucHost: string) => new PiNamespace('tower-idem', nucHost, { subnet: '10.231.9', nucLink: 'tw-nuc9', piLink: 'tw-pi9' });

function startPair(ns: PiNamespace, brokers: string[], topic: string): { child: ChildProcess; reports: Promise<AgentReport[]> } {
  const [cmd, ...args] = ns.command(process.execPath, '--import', 'tsx', join(REPO_ROOT, 'bench/idempotence/pair.ts'), brokers.join(','), topic);
  const child = spawn(cmd as string, args, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk));
  const reports = new Promise<AgentReport[]>((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').map((l) => JSON.parse(l) as AgentReport)) : reject(new Error(`the agents' process exited with ${code}`)))),
  );
  return { child, reports };
}

/** Every sample time on the topic, by host, in offset order. */
async function readTopic(kafka: Kafka, topic: string, atLeast: number): Promise<Map<string, number[]>> {
  const byHost = new Map<string, number[]>();
  const consumer = kafka.consumer({ groupId: `${topic}-reader`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      const { host, time } = decodeSample(message.value);
      byHost.set(host, [...(byHost.get(host) ?? []), time]);
      seen += 1;
    },
  });
  const deadline = Date.now() + 30_000;
  while (seen < atLeast && Date.now() < deadline) await sleep(200);
  await sleep(3_000); // whatever is there beyond the acknowledged count: duplicates
  await consumer.disconnect();
  return byHost;
}

function tally(report: AgentReport, onTopic: number[]) {
  const distinct = new Set(onTopic);
  return {
    bench: 'idempotence',
    producer: report.producer,
    taken: report.taken.length,
    acknowledged: report.acknowledged,
    on_topic: onTopic.length,
    duplicates: onTopic.length - distinct.size,
    missing: report.taken.filter((t) => !distinct.has(t)).length,
    still_spooled: report.stillSpooled,
    send_errors: report.sendErrors,
  };
}

async function main(): Promise<void> {
  const args = await yargs(hideBin(process.argv))
    .option('crashes', { type: 'number', default: 1, describe: 'Leader crashes' })
    .option('crash-s', { type: 'number', default: 15, describe: 'Seconds a crashed leader stays down' })
    .option('lost-acks', { type: 'number', default: 1, describe: 'Spells of lost replies' })
    .option('lost-acks-s', {
      type: 'number',
      default: 120,
      describe: "Seconds of each spell. Over 30 s (kafkajs' request timeout) kafkajs sends the same batch again; over about 95 s (its 3 tries) the agent's own retry sends a larger one",
    })
    .option('settle-s', { type: 'number', default: 20, describe: 'Seconds of normal sending after each fault' })
    .strict()
    .parseAsync();
  const stack = loadStack();
  const brokers = stack.services.brokers;
  const kafka = benchKafka(brokers, 'tower-bench-idempotence');
  const topic = `idempotence-${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });

  const ns = pi((brokers[0] as string).split(':')[0] as string);
  const blackhole = `${ns.piAddress}/32`;
  ns.create();
  const note = (message: string) => process.stderr.write(`[idempotence] ${message}\n`);
  const { child, reports } = startPair(ns, brokers, topic);
  let blackholed = false;
  // Ctrl-C or an error must not leave the route, the namespace or the agents behind.
  process.once('exit', () => {
    if (blackholed) execFileSync('ip', ['route', 'del', 'blackhole', blackhole]);
    child.kill('SIGKILL');
    ns.destroy();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  try {
    await sleep(8_000);
    for (let round = 1; round <= args.crashes; round += 1) {
      const leader = await leaderOf(kafka, topic);
      note(`crash ${round}: SIGKILL of the leader, node ${leader}, for ${args.crashS} s`);
      await killBroker(stack, leader);
      await sleep(args.crashS * 1000);
      await startBroker(stack, leader);
      await sleep(args.settleS * 1000);
    }
    for (let round = 1; round <= args.lostAcks; round += 1) {
      note(`lost acks ${round}: replies to ${ns.piAddress} dropped for ${args.lostAcksS} s`);
      execFileSync('ip', ['route', 'add', 'blackhole', blackhole]);
      blackholed = true;
      await sleep(args.lostAcksS * 1000);
      execFileSync('ip', ['route', 'del', 'blackhole', blackhole]);
      blackholed = false;
      await sleep(args.settleS * 1000);
    }
    note('stopping the agents; they drain for up to 30 s');
    child.stdin?.end('stop\n');
    const done = await reports;
    const onTopic = await readTopic(kafka, topic, done.reduce((n, r) => n + r.acknowledged, 0));
    for (const report of done) console.log(JSON.stringify(tally(report, onTopic.get(report.producer) ?? [])));
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(2);
});
