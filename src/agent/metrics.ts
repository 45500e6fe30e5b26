import type { Metric } from '../metrics/prometheus.js';
import type { DeliveryStats } from './delivery.js';

export interface AgentCounters {
  sampled: number;
  missedTicks: number;
  delivery: DeliveryStats;
  spooled: number;
  dropped: number;
  startedAt: number;
}

/** The agent's figures for /metrics. */
export function agentMetrics(c: AgentCounters, now = Date.now()): Metric[] {
  const sinceSend = (now - (c.delivery.lastSentAt ?? c.startedAt)) / 1000;
  return [
    { name: 'tower_agent_samples_total', help: 'Samples taken.', type: 'counter', values: [{ value: c.sampled }] },
    { name: 'tower_agent_sent_total', help: 'Samples acknowledged by Kafka.', type: 'counter', values: [{ value: c.delivery.sent }] },
    { name: 'tower_agent_spooled', help: 'Samples waiting in the spool.', type: 'gauge', values: [{ value: c.spooled }] },
    { name: 'tower_agent_dropped_total', help: 'Samples dropped because the spool was full.', type: 'counter', values: [{ value: c.dropped }] },
    { name: 'tower_agent_send_errors_total', help: 'Failed produce attempts.', type: 'counter', values: [{ value: c.delivery.sendErrors }] },
    {
      name: 'tower_agent_missed_ticks_total',
      help: 'Schedule ticks skipped because the previous sample was still running.',
      type: 'counter',
      values: [{ value: c.missedTicks }],
    },
    {
      name: 'tower_agent_seconds_since_last_send',
      help: 'Seconds since the last successful send (or start).',
      type: 'gauge',
      values: [{ value: Math.round(sinceSend * 10) / 10 }],
    },
  ];
}

/** Unhealthy when samples are waiting and nothing has been sent for `staleAfterS`. */
export function agentUnhealthy(c: AgentCounters, staleAfterS = 60, now = Date.now()): string | undefined {
  const sinceSend = (now - (c.delivery.lastSentAt ?? c.startedAt)) / 1000;
  if (c.spooled > 0 && sinceSend > staleAfterS) return `${c.spooled} samples spooled, nothing sent for ${Math.round(sinceSend)} s`;
  return undefined;
}
