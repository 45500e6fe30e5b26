import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);
/** Fastest level: InfluxDB inflates any level equally fast, and level 1 costs the sink half the CPU of the default for ~10% more bytes. */
export const GZIP_OPTIONS = { level: constants.Z_BEST_SPEED };

/** Where points go: InfluxDB 2.x's native API or its v1-compatibility API. */
export type InfluxTarget =
  | { api: 'v2'; url: string; org: string; bucket: string; token: string }
  | { api: 'v1'; url: string; db: string; rp: string; user: string; password: string };

/** InfluxDB answered with an HTTP error; `status` tells retryable from fatal. */
export class InfluxWriteError extends Error {
  override name = 'InfluxWriteError';
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

/**
 * The write path alone: one gzipped line-protocol POST per call, precision ms.
 * Retrying and buffering are the caller's business.
 */
export class InfluxWriter {
  private readonly url: string;
  private readonly authorization: string;

  constructor(
    target: InfluxTarget,
    private readonly timeoutMs = 10_000,
  ) {
    this.url = writeUrl(target);
    this.authorization = influxAuthorization(target);
  }

  async write(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    // zlib's thread pool compresses while the event loop decodes the next batch.
    const body = await gzipAsync(lines.join('\n'), GZIP_OPTIONS);
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        authorization: this.authorization,
        'content-type': 'text/plain; charset=utf-8',
        'content-encoding': 'gzip',
      },
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (response.status === 204 || response.status === 200) return;
    const answer = await response.text();
    const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
    throw new InfluxWriteError(`InfluxDB rejected the write: HTTP ${response.status} ${answer.slice(0, 300)}`, response.status, answer, retryAfter);
  }

}

function writeUrl(t: InfluxTarget): string {
  if (t.api === 'v2') {
    const query = new URLSearchParams({ org: t.org, bucket: t.bucket, precision: 'ms' });
    return `${trimSlash(t.url)}/api/v2/write?${query}`;
  }
  const query = new URLSearchParams({ db: t.db, rp: t.rp, precision: 'ms' });
  return `${trimSlash(t.url)}/write?${query}`;
}

/** The Authorization header for a target: a token for the v2 API, Basic auth for a v1 user. */
export function influxAuthorization(target: InfluxTarget): string {
  if (target.api === 'v2') return `Token ${target.token}`;
  return `Basic ${Buffer.from(`${target.user}:${target.password}`).toString('base64')}`;
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
