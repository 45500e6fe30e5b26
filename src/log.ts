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

/** JSON lines on stdout, one object per event: what journald and jq want. */
export function createLogger(name: string, level = process.env.TOWER_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}
