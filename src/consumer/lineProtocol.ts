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
  const measurement = escapeMeasurement(point.measurement);
  const tags = Object.keys(point.tags)
    .sort()
    .filter((key) => point.tags[key] !== '')
    .map((key) => `,${escapeKey(key)}=${escapeKey(point.tags[key] as string)}`)
    .join('');
  const fields = Object.entries(point.fields)
    .map(([key, value]) => `${escapeKey(key)}=${formatFloat(key, value)}`)
    .join(',');
  if (fields.length === 0) throw new LineProtocolError('a point needs at least one field');
  if (!Number.isSafeInteger(point.time)) throw new LineProtocolError(`timestamp ${point.time} is not an integer ms`);
  return `${measurement}${tags} ${fields} ${point.time}`;
}

function escapeMeasurement(name: string): string {
  rejectUnwritable(name, 'measurement');
  return name.replace(/[, ]/g, '\\$&');
}

function escapeKey(text: string): string {
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
