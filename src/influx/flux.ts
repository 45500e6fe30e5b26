import { influxRequest } from './request.js';

/** One row of a Flux answer: every column as the text InfluxDB sent, `result` naming the yield. */
export type FluxRow = Record<string, string>;

/**
 * Runs a Flux query through /api/v2/query with the token and returns its
 * rows, all tables of all yields together. A refused query is an InfluxError.
 */
export async function fluxQuery(server: { url: string; token: string }, org: string, query: string): Promise<FluxRow[]> {
  const response = await influxRequest(server.url, {
    method: 'POST',
    path: `/api/v2/query?${new URLSearchParams({ org })}`,
    credentials: { token: server.token },
    headers: { accept: 'application/csv', 'content-type': 'application/json' },
    body: JSON.stringify({ query, type: 'flux', dialect: { header: true, annotations: [] } }),
  });
  return parseFluxCsv(response.text);
}

/**
 * Flux's CSV without annotations: tables of one shape share a header row,
 * and an empty line comes before each new header. Fields follow RFC 4180
 * (double quotes around a field with a comma, quote or line break).
 */
export function parseFluxCsv(text: string): FluxRow[] {
  const rows: FluxRow[] = [];
  let header: string[] | undefined;
  for (const record of csvRecords(text)) {
    if (record.length === 1 && record[0] === '') {
      header = undefined;
      continue;
    }
    if (!header) {
      header = record;
      continue;
    }
    const row: FluxRow = {};
    header.forEach((name, i) => {
      if (name !== '') row[name] = record[i] ?? '';
    });
    rows.push(row);
  }
  return rows;
}

function* csvRecords(text: string): Generator<string[]> {
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i += 1;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      record.push(field);
      yield record;
      record = [];
      field = '';
      if (c === '\r' && text[i + 1] === '\n') i += 1;
    } else field += c;
    i += 1;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    yield record;
  }
}
