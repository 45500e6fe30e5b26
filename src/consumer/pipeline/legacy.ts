import type { FieldRejection, Fields } from '../../schema/sample.js';

/** The Flume/Fluentd collectors' field names → the lab's InfluxDB field names. */
export const LEGACY_FIELD_NAMES: Record<string, string> = {
  free_ram: 'memory',
  cpu_load: 'CPU_Usage',
  tx_bytes: 'tx',
  rx_bytes: 'rx',
  tx_drops: 'tx_dropped',
  rx_drops: 'rx_dropped',
  tx_errors: 'txError',
  rx_errors: 'rxError',
  disk_util: 'disk',
};

export class LegacyFormatError extends Error {
  override name = 'LegacyFormatError';
}

export interface LegacySample {
  /** ms since the epoch, or undefined when the message carries no usable time. */
  time: number | undefined;
  fields: Fields;
  rejected: FieldRejection[];
}

/**
 * Reads one legacy JSON message, e.g. {"free_ram": "3391548", "cpu_load": "0.06", "time": 1732512000}.
 * Numbers may come as strings; a value that is not a number rejects that field only.
 * Names not in LEGACY_FIELD_NAMES are kept as they are.
 */
export function parseLegacyMessage(text: string): LegacySample {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LegacyFormatError(`not JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LegacyFormatError('legacy message is not a JSON object');
  const fields: Fields = {};
  const rejected: FieldRejection[] = [];
  let time: number | undefined;
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'time') {
      time = legacyTime(value);
      if (time === undefined) rejected.push({ field: 'time', reason: `unreadable time ${JSON.stringify(value)}; used the broker's time` });
      continue;
    }
    if (name === 'host') continue;
    const number = toNumber(value);
    if (number === undefined) rejected.push({ field: name, reason: `value ${JSON.stringify(value)?.slice(0, 40)} is not a number` });
    else fields[LEGACY_FIELD_NAMES[name] ?? name] = number;
  }
  if (Object.keys(fields).length === 0)
    throw new LegacyFormatError(`no numeric field in legacy message${rejected.length ? ` (${rejected.map((r) => r.field).join(', ')} rejected)` : ''}`);
  return { time, fields, rejected };
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const number = Number(value.trim());
  return Number.isFinite(number) ? number : undefined;
}

/** Epoch seconds, ms, µs or ns (told apart by size), as number or string, or an ISO 8601 date. */
export function legacyTime(value: unknown): number | undefined {
  const number = toNumber(value);
  if (number !== undefined && number > 0) {
    if (number < 1e11) return Math.round(number * 1000);
    if (number < 1e14) return Math.round(number);
    if (number < 1e17) return Math.round(number / 1000);
    return Math.round(number / 1e6);
  }
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}
