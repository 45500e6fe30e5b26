import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { ConfigError } from '../cli.js';
import { readSecret } from '../secrets.js';

/** TLS and SASL settings for brokers outside the lab. Both off by default (the lab is PLAINTEXT). */
export interface KafkaSecurityArgs {
  tls?: boolean;
  /** PEM CA bundle to trust instead of the system's. */
  tlsCaFile?: string;
  /** PEM client certificate and key, for mutual TLS. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** plain, scram-sha-256 or scram-sha-512. */
  saslMechanism?: string;
  saslUsername?: string;
  /** File holding the SASL password (else env TOWER_SASL_PASSWORD). */
  saslPasswordFile?: string;
}

export interface KafkaSecurity {
  ssl?: ConnectionOptions | boolean;
  sasl?: SASLOptions;
}

const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

export function kafkaSecurity(args: KafkaSecurityArgs): KafkaSecurity {
  const security: KafkaSecurity = {};
  if (args.tls || args.tlsCaFile || args.tlsCertFile) {
    security.ssl = {
      ...(args.tlsCaFile ? { ca: readPem(args.tlsCaFile, '--tls-ca-file') } : {}),
      ...(args.tlsCertFile ? { cert: readPem(args.tlsCertFile, '--tls-cert-file') } : {}),
      ...(args.tlsKeyFile ? { key: readPem(args.tlsKeyFile, '--tls-key-file') } : {}),
    };
  }
  if (args.saslMechanism) {
    const mechanism = args.saslMechanism.toLowerCase() as (typeof MECHANISMS)[number];
    if (!MECHANISMS.includes(mechanism)) throw new ConfigError(`--sasl-mechanism must be one of ${MECHANISMS.join(', ')}, got ${args.saslMechanism}`);
    if (!args.saslUsername) throw new ConfigError('--sasl-username is required with --sasl-mechanism');
    const password = readSecret({ env: 'TOWER_SASL_PASSWORD', file: args.saslPasswordFile, fileFlag: '--sasl-password-file' });
    security.sasl = { mechanism, username: args.saslUsername, password } as SASLOptions;
  }
  return security;
}

function readPem(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${flag} ${path}: ${(err as Error).message}`);
  }
}

/** yargs option specs shared by both programs. */
export const SECURITY_OPTIONS = {
  tls: { type: 'boolean', default: false, describe: 'Connect to the brokers over TLS' },
  'tls-ca-file': { type: 'string', describe: 'PEM CA bundle to trust for the brokers (implies --tls)' },
  'tls-cert-file': { type: 'string', describe: 'PEM client certificate for mutual TLS (implies --tls)' },
  'tls-key-file': { type: 'string', describe: 'PEM client key for mutual TLS' },
  'sasl-mechanism': { type: 'string', describe: 'SASL mechanism: plain, scram-sha-256 or scram-sha-512' },
  'sasl-username': { type: 'string', describe: 'SASL user name' },
  'sasl-password-file': { type: 'string', describe: 'File holding the SASL password (else env TOWER_SASL_PASSWORD)' },
} as const;
