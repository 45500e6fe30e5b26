import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { type ISocketFactory, Kafka, type LogEntry, logLevel } from 'kafkajs';
import { ConfigError } from '../cli.js';
import type { Logger } from '../log.js';
import { patchKafkajsRequestQueue } from './requestQueuePatch.js';
import { BrokerResolver } from './resolver.js';
import type { KafkaSecurity } from './security.js';

export interface KafkaConnectionOptions {
  /** Bootstrap brokers as host:port. */
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** Hosts file consulted before DNS for broker names. Default `/etc/hosts`. */
  hostsFile?: string;
  /** TLS and SASL; none by default, as in the lab. */
  security?: KafkaSecurity;
}

patchKafkajsRequestQueue();

/**
 * How long kafkajs may take to open a connection to a broker. Its
 * connectionTimeout covers the TCP connect and, for TLS, the whole
 * handshake. kafkajs' 1 s suits PLAINTEXT in the lab (a LAN connect takes
 * milliseconds, and a timed-out one is retried cheaply), so that stays. A
 * TLS handshake adds round trips and public-key work, which a Pi on Wi-Fi
 * or a busy machine can stretch past 1 s; every retry then starts the
 * handshake again and times out again. 10 s is what Kafka's own clients
 * allow for a connection setup (socket.connection.setup.timeout.ms).
 */
export const CONNECTION_TIMEOUT_MS = 1_000;
export const TLS_CONNECTION_TIMEOUT_MS = 10_000;

/**
 * One place that turns Tower's connection settings into a kafkajs client.
 * Every connection, to a bootstrap broker or to a name a broker advertises,
 * resolves through BrokerResolver.
 */
export function createKafka(options: KafkaConnectionOptions): Kafka {
  const resolver = new BrokerResolver({ hostsFile: options.hostsFile ?? '/etc/hosts', logger: options.logger });
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => logKafkaEntry(options.logger, entry),
    socketFactory: resolvingSocketFactory(resolver),
    connectionTimeout: options.security?.ssl ? TLS_CONNECTION_TIMEOUT_MS : CONNECTION_TIMEOUT_MS,
    ...options.security,
  });
}

function resolvingSocketFactory(resolver: BrokerResolver): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tlsConnect({ host, port, servername: host, lookup: resolver.lookup, ...(ssl as object) }, onConnect)
      : netConnect({ host, port, lookup: resolver.lookup }, onConnect);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
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

/** Connection failures are retried and reported by Tower itself; kafkajs' copies would repeat them every retry. */
const CONNECTION_NOISE =
  /ENOTFOUND|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|Connection timeout|cannot resolve|Connection error|KafkaJSConnectionError|KafkaJSNumberOfRetriesExceeded/;

function logKafkaEntry(logger: Logger, entry: LogEntry): void {
  const { message, ...extra } = entry.log;
  const fields = { kafka: entry.namespace, ...extra };
  const noise = CONNECTION_NOISE.test(`${message} ${String((extra as { error?: unknown }).error ?? '')}`);
  if (entry.level <= logLevel.ERROR && !noise) logger.error(fields, message);
  else if (entry.level === logLevel.WARN && !noise) logger.warn(fields, message);
  else logger.debug(fields, message);
}
