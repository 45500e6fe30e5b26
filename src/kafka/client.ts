import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { ConfigError } from '../cli.js';
import type { Logger } from '../log.js';

export interface KafkaConnectionOptions {
  /** Bootstrap brokers as host:port. */
  brokers: string[];
  clientId: string;
  logger: Logger;
}

/** One place that turns Tower's connection settings into a kafkajs client. */
export function createKafka(options: KafkaConnectionOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => logKafkaEntry(options.logger, entry),
  });
}

export function parseBrokerList(value: string | string[]): string[] {
  const list = (Array.isArray(value) ? value : [value])
    .flatMap((part) => part.split(','))
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  for (const broker of list) {
    if (!/^[^:\s]+:\d{1,5}$/.test(broker)) {
      throw new ConfigError(`broker "${broker}" is not host:port; give brokers like nuc:9090,nuc:9091,nuc:9092`);
    }
  }
  if (list.length === 0) throw new ConfigError('no brokers given; set --brokers or TOWER_BROKERS (e.g. nuc:9090,nuc:9091,nuc:9092)');
  return list;
}

function logKafkaEntry(logger: Logger, entry: LogEntry): void {
  const { message, ...extra } = entry.log;
  const fields = { kafka: entry.namespace, ...extra };
  if (entry.level <= logLevel.ERROR) logger.error(fields, message);
  else if (entry.level === logLevel.WARN) logger.warn(fields, message);
  else logger.debug(fields, message);
}
