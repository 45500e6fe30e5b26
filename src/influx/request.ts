import { type InfluxCredentials, influxAuthorization } from './target.js';

/** Every request to InfluxDB gets this long for its answer, body included. */
export const INFLUX_TIMEOUT_MS = 10_000;

/**
 * A request to InfluxDB failed: `status` is the HTTP status, or 0 when no
 * answer came (refused, unresolvable, timed out). The message says what
 * happened and names no secret.
 */
export class InfluxError extends Error {
  override name = 'InfluxError';
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
    /** Retry-After in seconds, when the server sent one. */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

export type InfluxMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface InfluxRequest {
  method?: InfluxMethod;
  /** Path and query string, appended to the base URL. */
  path: string;
  /** Sent as the Authorization header; none for /health and the like. */
  credentials?: InfluxCredentials;
  headers?: Record<string, string>;
  body?: RequestInit['body'];
}

export interface InfluxResponse {
  status: number;
  text: string;
}

/**
 * One HTTP request to InfluxDB at `url`, answered within INFLUX_TIMEOUT_MS.
 * Resolves to a 2xx answer; anything else throws an InfluxError.
 */
export async function influxRequest(url: string, request: InfluxRequest): Promise<InfluxResponse> {
  const method = request.method ?? 'GET';
  const what = `${method} ${request.path.split('?')[0]}`;
  const headers = { ...request.headers, ...(request.credentials ? { authorization: influxAuthorization(request.credentials) } : {}) };
  let response: Response;
  let text: string;
  try {
    // A stream body is sent as it is read (chunked), which fetch allows only half-duplex.
    const duplex = request.body instanceof ReadableStream ? { duplex: 'half' as const } : {};
    response = await fetch(`${trimSlash(url)}${request.path}`, {
      method,
      headers,
      body: request.body,
      signal: AbortSignal.timeout(INFLUX_TIMEOUT_MS),
      ...duplex,
    });
    text = await response.text();
  } catch (err) {
    throw new InfluxError(`cannot reach InfluxDB at ${url} (${noAnswerReason(err)} on ${what}): start it, or fix --influx-url`, 0, '');
  }
  if (response.ok) return { status: response.status, text };
  const retryAfterS = parseRetryAfter(response.headers.get('retry-after'));
  throw new InfluxError(`InfluxDB answered HTTP ${response.status} to ${what}: ${serverMessage(text)}`, response.status, text, retryAfterS);
}

function noAnswerReason(err: unknown): string {
  if ((err as Error).name === 'TimeoutError') return `no answer within ${INFLUX_TIMEOUT_MS / 1000} s`;
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

/** InfluxDB's own message from a JSON error body, else the start of the text. */
export function serverMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: string; error?: string };
    if (body.message) return body.message;
    if (body.error) return body.error;
  } catch {
    // not JSON: show the start of the text as it is
  }
  return text.slice(0, 300);
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Retry-After is delta-seconds or an HTTP date (RFC 9110); never milliseconds. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}
