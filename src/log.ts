import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths that may carry secrets; pino replaces their values before writing. */
export const REDACTED_PATHS = [
  'token',
  'password',
  '*.token',
  '*.password',
  '*.influxToken',
  '*.v1Password',
  'influxToken',
  'v1Password',
  'headers.authorization',
  '*.headers.authorization',
];

/**
 * pino's error serializer, with `type` taken from the error's `name` rather
 * than its class's: the Pi's minified bundle renames classes, and every error
 * class here and in kafkajs sets its name.
 */
export function serializeError(err: unknown): unknown {
  const serialized = pino.stdSerializers.err(err as Error);
  if (err instanceof Error && typeof serialized === 'object' && serialized !== null) serialized.type = err.name;
  return serialized;
}

/** JSON lines on stdout, one object per event: what journald and jq want. */
export function createLogger(name: string, level = process.env.TOWER_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: { err: serializeError } });
}
