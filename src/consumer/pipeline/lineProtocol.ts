/**
 * InfluxDB line protocol, built as pure functions:
 *   measurement,tag=value field=value timestamp
 * Escaping follows the line protocol reference: measurement escapes commas
 * and spaces; tag keys, tag values and field keys escape commas, equals signs
 * and spaces. Two things cannot be written faithfully and are rejected rather
 * than let through: line breaks (they end the point) and backslashes (InfluxDB
 * reads `\\,` as an escaped comma, so `a\` before a separator breaks the line).
 */
export interface Point {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number>;
  /** ms since the epoch; written with precision=ms. */
  time: number;
}

export class LineProtocolError extends Error {
  override name = 'LineProtocolError';
}

export function toLine(point: Point): string {
  let line = escapeMeasurement(point.measurement);
  for (const key of Object.keys(point.tags).sort()) {
    const value = point.tags[key] as string;
    if (value !== '') line += `,${escapeKey(key)}=${escapeKey(value)}`;
  }
  let separator = ' ';
  for (const key in point.fields) {
    line += `${separator}${escapeKey(key)}=${formatFloat(key, point.fields[key] as number)}`;
    separator = ',';
  }
  if (separator === ' ') throw new LineProtocolError('a point needs at least one field');
  if (!Number.isSafeInteger(point.time)) throw new LineProtocolError(`timestamp ${point.time} is not an integer ms`);
  return `${line} ${point.time}`;
}

// Most names need no escaping; one test per name keeps the common case cheap.
const MEASUREMENT_SPECIAL = /[, \n\r\\]/;
const KEY_SPECIAL = /[,= \n\r\\]/;

export function escapeMeasurement(name: string): string {
  if (name.length > 0 && !MEASUREMENT_SPECIAL.test(name)) return name;
  rejectUnwritable(name, 'measurement');
  return name.replace(/[, ]/g, '\\$&');
}

export function escapeKey(text: string): string {
  if (text.length > 0 && !KEY_SPECIAL.test(text)) return text;
  rejectUnwritable(text, 'tag or field key/value');
  return text.replace(/[,= ]/g, '\\$&');
}

function rejectUnwritable(text: string, what: string): void {
  if (text.length === 0) throw new LineProtocolError(`empty ${what}`);
  if (/[\n\r]/.test(text)) throw new LineProtocolError(`${what} ${JSON.stringify(text)} contains a line break`);
  if (text.includes('\\')) throw new LineProtocolError(`${what} ${JSON.stringify(text)} contains a backslash, which line protocol cannot carry unambiguously`);
}

function formatFloat(key: string, value: number): string {
  if (!Number.isFinite(value)) throw new LineProtocolError(`field ${key} is ${value}; only finite numbers can be written`);
  // No `i` suffix: every field is a float, so 12 followed by 12.5 never conflicts in type.
  return String(value);
}
