import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { influxQuery } from './fleet/stored.js';
import { type Program, startProgram } from './harness.js';
import { PiNamespace } from './netns.js';
import type { InfluxTarget } from './services.js';

/** Names and addresses apart from the topology test's (tower-pi, tw-nuc0/tw-pi0, 10.231.0.0/30). */
export const DRILL_NAMESPACE = { name: 'tower-drill-pi', subnet: '10.239.7', nucLink: 'twd-nuc0', piLink: 'twd-pi0' } as const;

export interface AgentTotals {
  /** Samples taken. */
  sampled: number;
  /** Samples Kafka acknowledged. */
  sent: number;
  /** Samples still in the spool at the stop. */
  spooled: number;
}

export class AgentStopError extends Error {
  override name = 'AgentStopError';
}

/**
 * One real Pi for a drill: the built tower-agent in a network namespace of its
 * own, with its own spool, reaching the brokers across a veth link that the
 * drill can cut. Needs root and `npm run build`.
 */
/** Pis started and not yet destroyed, for killPisSync on an abrupt exit. */
const started = new Set<NetnsPi>();

export class NetnsPi {
  private readonly ns: PiNamespace;
  private readonly spoolDir: string;
  private agent: Program | undefined;

  constructor(
    readonly host: string,
    private readonly brokers: string[],
  ) {
    const nucHost = (brokers[0] ?? '').split(':')[0] as string;
    this.ns = new PiNamespace(DRILL_NAMESPACE.name, nucHost, DRILL_NAMESPACE);
    this.spoolDir = mkdtempSync(join(tmpdir(), 'tower-drill-spool-'));
  }

  start(): void {
    this.ns.create();
    const args = ['run', '--host', this.host, '--spool-dir', this.spoolDir, '--brokers', this.brokers.join(',')];
    this.agent = startProgram('agent', args, { TOWER_LOG_LEVEL: 'info' }, this.ns.command());
    started.add(this);
  }

  setLink(up: boolean): void {
    this.ns.setLink(up);
  }

  /** Whether the agent process is still running. */
  get alive(): boolean {
    return this.agent?.child.exitCode === null && this.agent.child.signalCode === null;
  }

  /** SIGTERM, then the agent's own totals from its "agent stopped" log line. */
  async stop(): Promise<AgentTotals> {
    const agent = this.agent;
    if (!agent) throw new AgentStopError('the drill Pi was never started');
    const code = await agent.stop();
    const line = agent
      .output()
      .split('\n')
      .find((l) => l.includes('"agent stopped"'));
    if (code !== 0 || !line)
      throw new AgentStopError(`tower-agent in ${DRILL_NAMESPACE.name} exited with ${code} without its totals:\n${agent.output().slice(-2000)}`);
    const { sampled, sent, spooled } = JSON.parse(line) as AgentTotals;
    return { sampled, sent, spooled };
  }

  /** Stops the agent if it still runs, removes the namespace, its link and the spool. */
  async destroy(): Promise<void> {
    if (this.agent && this.alive) await this.agent.stop();
    this.removeSync();
  }

  /** SIGKILLs the agent and removes the namespace, its link and the spool, without waiting. */
  killSync(): void {
    if (this.alive) this.agent?.child.kill('SIGKILL');
    this.removeSync();
  }

  private removeSync(): void {
    this.ns.destroy();
    rmSync(this.spoolDir, { recursive: true, force: true });
    started.delete(this);
  }
}

/** For exit paths: kills every drill Pi still running and removes its namespace. */
export function killPisSync(): void {
  for (const pi of [...started]) pi.killSync();
}

/** Time (ms) of the newest point of `host` in InfluxDB, or undefined if it has none. */
export async function newestPoint(influx: InfluxTarget, host: string): Promise<number | undefined> {
  const series = await influxQuery(influx, `SELECT last("CPU_Usage") FROM "${influx.measurement}" WHERE "host" = '${host.replace(/[\\']/g, '\\$&')}'`);
  const time = series[0]?.values[0]?.[0];
  return typeof time === 'number' ? time : undefined;
}
