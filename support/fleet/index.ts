/**
 * The fleet simulator as a library: simulated Pis through the agent's own
 * code, real tower-sink processes, and what InfluxDB ended up holding.
 *
 *   import { loadServices, benchKafka, ensureTopic, startFleet, startSinks, startGroupAtEnd,
 *            stopSinks, readStored, countStored, reconcile } from '../support/fleet/index.js';
 *
 *   const services = loadServices();                 // .tower/services.env (npm run services:up)
 *   const kafka = benchKafka(services.brokers, 'my-drill');
 *   await ensureTopic(kafka, 'drill-resource');      // 3 partitions, RF 3, min ISR 2, LogAppendTime
 *   await startGroupAtEnd(kafka, 'drill-group', 'drill-resource');   // optional: skip older messages
 *   const sinks = startSinks(2, { topic: 'drill-resource', group: 'drill-group', env: services.env });
 *   const fleet = await startFleet({ agents: 50, brokers: services.brokers, topic: 'drill-resource' });
 *   ... sinks[0].kill('SIGKILL'); await sinks[0].restart(); fleet.stats() ...
 *   const sent = await fleet.stop();                  // SentLog: host → times Kafka acknowledged
 *   // wait until countStored(services.influx, fleet.hostPrefix, from, to) reaches the sent count, then:
 *   const stored = await readStored(services.influx, fleet.hostPrefix, fleet.startedAt - 1000, Date.now(), fleet.hosts.length);
 *   const { sent: n, stored: m, lost, extra, duplicates } = reconcile(sent, stored);
 *   await stopSinks(sinks);
 *
 * startFleet(options) → Fleet
 *   options: agents; brokers; topic (default `resource`); hostPrefix (default `fleet-<6 hex>-`, Pi i is
 *   `${hostPrefix}${i}`); workers (child processes, 0 = in this process; default 0 up to 200 agents,
 *   else one per 1,000, at most 4); logLevel of the agents (default silent).
 *   Each Pi has its own host name, its own Spool (in a temp dir, removed on stop) and its own Delivery;
 *   the Pis of one process share one kafkajs client and one SampleProducer. Samples are taken for all
 *   Pis at the start of every second; a second this process reaches late (waiting for CPU) is still sampled,
 *   up to 10 s late, later ones are skipped and counted. Fields are synthetic, times are Date.now().
 *   Fleet: hostPrefix, hosts, startedAt (first sample due, ms), pids (of the processes running Pis),
 *   stats() (enqueued, sent, sendErrors, spooled, missedTicks, missedSamples, tickLagMaxMs, silentWorkers),
 *   stop({ drainMs = 15 000, graceMs = 3 000 }) → SentLog: stops sampling, lets the spools drain,
 *   stops the deliveries; samples still spooled then are not in the log (stats().spooled says how many).
 *
 * startSinks(k, { topic, group, env, args?, logLevel = 'warn', echo = false }) → SinkHandle[]
 *   k real `node dist/consumer/main.js run` processes (build first) in one group. A handle has index, pid,
 *   running, kill(signal = SIGTERM), exited(), restart(), stop(killAfterMs = 10 000), output().
 *   Every sink is SIGKILLed if this process exits. stopSinks(handles) stops them all.
 *   startGroupAtEnd(kafka, group, topic): a new group would start at the topic's beginning.
 *
 * waitForGroup(kafka, group, members, timeoutMs) → whether the group became Stable with that many members.
 * countStored(influx, hostPrefix, fromMs, toMs) → number of distinct points (host, time) in InfluxDB;
 *   waitForStored(influx, hostPrefix, fromMs, toMs, expected, timeoutMs) polls it until it reaches expected.
 * readStored(influx, hostPrefix, fromMs, toMs, hostCount) → StoredLog (host → point times).
 * reconcile(sent, stored) → { sent, stored, lost, extra, duplicates, lostExamples, extraExamples }, pure.
 * ProcessSampler, LagSampler, LatencyProbe: the scale figures bench/fleet.ts prints.
 */

export { benchKafka, ensureTopic, type InfluxTarget, loadServices, type Services, ServicesError } from '../services.js';
export { defaultWorkers, type Fleet, FleetError, type FleetOptions, type FleetStats, type StopOptions, startFleet } from './fleet.js';
export type { FlockStats } from './pi.js';
export { type LagFigures, LagSampler, type LatencyFigures, LatencyProbe, type MachineFigures, type ProcessFigures, ProcessSampler } from './probes.js';
export { pidsListeningOn } from './procstat.js';
export { mergeLogs, type Reconciliation, reconcile, type SentLog, type StoredLog } from './reconcile.js';
export { type SinkHandle, type SinkRunOptions, startGroupAtEnd, startSinks, stopSinks, waitForGroup } from './sinks.js';
export { countStored, readStored, waitForStored } from './stored.js';
