import type { ITopicConfig } from 'kafkajs';

/** How a topic of the lab's cluster is made: partitions, replicas and the topic configs set on it. */
export interface TopicSettings {
  numPartitions: number;
  replicationFactor: number;
  /** Topic-level configs, as kafka-configs.sh --add-config takes them. */
  configs: Readonly<Record<string, string>>;
}

/**
 * The lab's `resource` topic: 3 partitions, 3 replicas, min ISR 2 (acks=all
 * survives one broker), and the broker's log-append time, which the sink's
 * clock check compares each sample's own time with. The one definition that
 * scripts/services/kafka.sh creates the topic from (it reads LAB_TOPICS
 * from dist/), the tests shape their topics by, deploy/nuc/compose.yaml is
 * checked against (test/unit/topics.test.ts) and `tower-sink doctor`
 * compares the real topic with.
 */
export const RESOURCE_TOPIC: TopicSettings = {
  numPartitions: 3,
  replicationFactor: 3,
  configs: { 'min.insync.replicas': '2', 'message.timestamp.type': 'LogAppendTime' },
};

/** `resource.dlq`, where the sink puts what it cannot write: the same durability, the producer's time. */
export const DEAD_LETTER_TOPIC: TopicSettings = {
  numPartitions: 3,
  replicationFactor: 3,
  configs: { 'min.insync.replicas': '2' },
};

/** Every topic the lab's cluster has, by name. */
export const LAB_TOPICS: Readonly<Record<string, TopicSettings>> = {
  resource: RESOURCE_TOPIC,
  'resource.dlq': DEAD_LETTER_TOPIC,
};

export function topicSpec(topic: string, settings: TopicSettings): ITopicConfig {
  return {
    topic,
    numPartitions: settings.numPartitions,
    replicationFactor: settings.replicationFactor,
    configEntries: Object.entries(settings.configs).map(([name, value]) => ({ name, value })),
  };
}

/** A topic shaped like the lab's `resource`. */
export function resourceTopicSpec(topic: string): ITopicConfig {
  return topicSpec(topic, RESOURCE_TOPIC);
}

/** The configs as one `name=value,…` list, kafka-configs.sh --add-config's argument. */
export function configList(settings: TopicSettings): string {
  return Object.entries(settings.configs)
    .map(([name, value]) => `${name}=${value}`)
    .join(',');
}

/** The kafka-topics.sh command that creates TOPIC with SETTINGS. */
export function createTopicCommand(topic: string, settings: TopicSettings, bootstrap: string): string {
  const configs = Object.entries(settings.configs).map(([name, value]) => ` --config ${name}=${value}`);
  return `kafka-topics.sh --bootstrap-server ${bootstrap} --create --topic ${topic} --partitions ${settings.numPartitions} --replication-factor ${settings.replicationFactor}${configs.join('')}`;
}

/** The kafka-configs.sh command that sets the configs of SETTINGS on an existing TOPIC. */
export function alterTopicCommand(topic: string, settings: TopicSettings, bootstrap: string): string {
  return `kafka-configs.sh --bootstrap-server ${bootstrap} --alter --entity-type topics --entity-name ${topic} --add-config ${configList(settings)}`;
}

/** What a topic is on the cluster: its partitions' replica counts and the values of its configs. */
export interface ObservedTopic {
  /** Number of replicas of each partition. */
  replicas: number[];
  /** Config values by name; a name the broker did not return is missing. */
  configs: Readonly<Record<string, string | undefined>>;
}

/** One difference between a topic and its settings, in words. */
export interface TopicMismatch {
  what: 'partitions' | 'replication factor' | 'config';
  detail: string;
}

/**
 * How OBSERVED differs from SETTINGS: fewer or more partitions, a partition
 * with another number of replicas, a config with another value. Empty when
 * the topic is as the lab makes it.
 */
export function topicMismatches(settings: TopicSettings, observed: ObservedTopic): TopicMismatch[] {
  const out: TopicMismatch[] = [];
  if (observed.replicas.length !== settings.numPartitions) {
    out.push({ what: 'partitions', detail: `${observed.replicas.length} partitions, not ${settings.numPartitions}` });
  }
  const wrong = observed.replicas.filter((n) => n !== settings.replicationFactor);
  if (wrong.length > 0) {
    out.push({ what: 'replication factor', detail: `replicas ${observed.replicas.join('/')}, not ${settings.replicationFactor} each` });
  }
  for (const [name, want] of Object.entries(settings.configs)) {
    const got = observed.configs[name];
    if (got !== want) out.push({ what: 'config', detail: `${name}=${got ?? '(not set)'}, not ${want}` });
  }
  return out;
}
