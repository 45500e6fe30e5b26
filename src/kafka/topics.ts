import type { ITopicConfig } from 'kafkajs';

/**
 * The lab's `resource` topic, as scripts/services/kafka.sh and
 * deploy/nuc/compose.yaml create it: 3 partitions, 3 replicas, min ISR 2
 * (acks=all survives one broker), and the broker's log-append time, which
 * the sink's clock check compares each sample's own time with.
 */
export function resourceTopicSpec(topic: string): ITopicConfig {
  return {
    topic,
    numPartitions: 3,
    replicationFactor: 3,
    configEntries: [
      { name: 'min.insync.replicas', value: '2' },
      { name: 'message.timestamp.type', value: 'LogAppendTime' },
    ],
  };
}
