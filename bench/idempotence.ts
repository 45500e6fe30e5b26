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
// Meanwhile the tests' TopicReader reads the topic. Each agent's samples
// are counted: taken, acknowledged, on the topic, duplicated, missing,
// still spooled, send errors by kind. One JSON line per producer. Needs
// root (ip netns, ip route) and `npm run services:up`; takes about 4
// minutes with the defaults.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { killBroker, leaderOf, startBroker } from '../support/faults.js';
import { sleep } from '../support/harness.js';
import { PiNamespace } from '../support/netns.js';
import { benchKafka, REPO_ROOT } from '../support/services.js';
import { loadStack } from '../support/stack.js';
import { TopicReader } from '../support/topicReader.js';
import type { AgentReport } from './idempotence/pair.js';

function startPair(ns: PiNamespace, brokers: string[], topic: string): { child: ChildProcess; reports: Promise<AgentReport[]> } {
  const [cmd, ...args] = ns.command(process.execPath, '--import', 'tsx', join(REPO_ROOT, 'bench/idempotence/pair.ts'), brokers.join(','), topic);
  const child = spawn(cmd as string, args, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk));
  const reports = new Promise<AgentReport[]>((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0
        ? resolve(
            out
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l) as AgentReport),
          )
        : reject(new Error(`the agents' process exited with ${code}`)),
    ),
  );
  return { child, reports };
}

/** Waits until `reader` holds at least `count` samples (at most 30 s), then 3 s more for any duplicates beyond them. */
async function drainReader(reader: TopicReader, count: number): Promise<void> {
  const held = () => [...reader.samples.values()].reduce((n, samples) => n + samples.length, 0);
  const deadline = Date.now() + 30_000;
  while (held() < count && Date.now() < deadline) await sleep(200);
  await sleep(3_000);
  await reader.stop();
}

function tally(report: AgentReport, reader: TopicReader) {
  const onTopic = (reader.samples.get(report.producer) ?? []).map((sample) => sample.time);
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
      describe:
        "Seconds of each spell. Over 30 s (kafkajs' request timeout) kafkajs sends the same batch again; over about 95 s (its 3 tries) the agent's own retry sends a larger one",
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
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
  });

  const reader = new TopicReader(brokers, topic);
  await reader.start();
  const ns = new PiNamespace('tower-idem', (brokers[0] as string).split(':')[0] as string, { subnet: '10.231.9', nucLink: 'tw-nuc9', piLink: 'tw-pi9' });
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
    await drainReader(
      reader,
      done.reduce((n, r) => n + r.acknowledged, 0),
    );
    for (const report of done) console.log(JSON.stringify(tally(report, reader)));
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(2);
});
