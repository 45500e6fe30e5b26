import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  alterTopicCommand,
  configList,
  createTopicCommand,
  DEAD_LETTER_TOPIC,
  LAB_TOPICS,
  RESOURCE_TOPIC,
  resourceTopicSpec,
  topicMismatches,
} from '../../src/kafka/topics.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const asLab = { replicas: [3, 3, 3], configs: { 'min.insync.replicas': '2', 'message.timestamp.type': 'LogAppendTime' } };

test("the lab's resource topic: 3 partitions, RF 3, min ISR 2, log-append time; resource.dlq the same without it", () => {
  assert.deepEqual(resourceTopicSpec('t'), {
    topic: 't',
    numPartitions: 3,
    replicationFactor: 3,
    configEntries: [
      { name: 'min.insync.replicas', value: '2' },
      { name: 'message.timestamp.type', value: 'LogAppendTime' },
    ],
  });
  assert.equal(configList(DEAD_LETTER_TOPIC), 'min.insync.replicas=2');
  assert.deepEqual(Object.keys(LAB_TOPICS), ['resource', 'resource.dlq']);
});

test('a topic as the lab makes it has no mismatch', () => {
  assert.deepEqual(topicMismatches(RESOURCE_TOPIC, asLab), []);
});

test('each difference is named: partitions, replicas, a config with another value or none', () => {
  assert.deepEqual(topicMismatches(RESOURCE_TOPIC, { ...asLab, replicas: [3] }), [{ what: 'partitions', detail: '1 partitions, not 3' }]);
  assert.deepEqual(topicMismatches(RESOURCE_TOPIC, { ...asLab, replicas: [3, 1, 3] }), [{ what: 'replication factor', detail: 'replicas 3/1/3, not 3 each' }]);
  assert.deepEqual(topicMismatches(RESOURCE_TOPIC, { ...asLab, configs: { 'min.insync.replicas': '1' } }), [
    { what: 'config', detail: 'min.insync.replicas=1, not 2' },
    { what: 'config', detail: 'message.timestamp.type=(not set), not LogAppendTime' },
  ]);
  // Configs the definition does not name are the broker's business.
  assert.deepEqual(topicMismatches(DEAD_LETTER_TOPIC, asLab), []);
});

test('the advice builds its commands from the definition', () => {
  assert.equal(
    createTopicCommand('resource', RESOURCE_TOPIC, 'nuc:9090'),
    'kafka-topics.sh --bootstrap-server nuc:9090 --create --topic resource --partitions 3 --replication-factor 3 --config min.insync.replicas=2 --config message.timestamp.type=LogAppendTime',
  );
  assert.equal(
    alterTopicCommand('resource', RESOURCE_TOPIC, 'nuc:9090'),
    'kafka-configs.sh --bootstrap-server nuc:9090 --alter --entity-type topics --entity-name resource --add-config min.insync.replicas=2,message.timestamp.type=LogAppendTime',
  );
});

test("deploy/nuc/compose.yaml's topics service creates the topics of the definition", () => {
  const compose = parse(readFileSync(`${ROOT}deploy/nuc/compose.yaml`, 'utf8')) as { services: Record<string, { command?: string[] }> };
  const script = (compose.services.topics?.command ?? []).join('\n');
  const made = [...script.matchAll(/^\s*topic (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]);
  assert.deepEqual(
    made,
    Object.entries(LAB_TOPICS).map(([name, settings]) => [name, configList(settings)]),
  );
  for (const settings of Object.values(LAB_TOPICS)) {
    assert.match(script, new RegExp(`--partitions ${settings.numPartitions} --replication-factor ${settings.replicationFactor}`));
  }
});
