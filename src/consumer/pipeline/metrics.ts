import type { Metric } from '../../metrics/prometheus.js';
import type { SinkStats } from './stats.js';

/** The sink's figures for /metrics. */
export function sinkMetrics(s: SinkStats): Metric[] {
  const counter = (name: string, help: string, value: number): Metric => ({ name, help, type: 'counter', values: [{ value }] });
  return [
    counter('tower_sink_consumed_total', 'Messages consumed and committed.', s.consumed),
    counter('tower_sink_written_total', 'Points InfluxDB accepted.', s.written),
    counter('tower_sink_dead_letters_total', 'Messages sent to the dead-letter topic.', s.deadLetters),
    counter('tower_sink_rejected_fields_total', 'Fields dropped because they were not numbers.', s.rejectedFields),
    counter('tower_sink_clock_corrected_total', 'Samples written at the broker time because their own was too far off.', s.clockCorrected),
    counter('tower_sink_write_retries_total', 'Failed write attempts that were retried.', s.retries),
    counter('tower_sink_write_requests_total', 'Write requests that succeeded.', s.writeRequests),
    counter('tower_sink_write_seconds_total', 'Time spent in successful writes, retries included.', s.writeSecondsTotal),
    { name: 'tower_sink_last_write_ms', help: 'Duration of the last successful write.', type: 'gauge', values: [{ value: s.lastWriteMs }] },
    {
      name: 'tower_sink_lag',
      help: 'Messages behind the end of the partition, at its last batch.',
      type: 'gauge',
      values: [...s.lag].map(([partition, lag]) => ({ labels: { partition: String(partition) }, value: lag })),
    },
    { name: 'tower_sink_writes_blocked', help: '1 while a wrong setting stops writes.', type: 'gauge', values: [{ value: s.blockedBy ? 1 : 0 }] },
  ];
}
