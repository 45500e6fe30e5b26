import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import { influxRequest } from './request.js';
import type { InfluxTarget } from './target.js';

const gzipAsync = promisify(gzip);
/** Fastest level: InfluxDB inflates any level equally fast, and level 1 costs the sink half the CPU of the default for ~10% more bytes. */
export const GZIP_OPTIONS = { level: constants.Z_BEST_SPEED };

/**
 * The write path alone: one gzipped line-protocol POST per call, precision ms.
 * Retrying and buffering are the caller's business; a refusal is an InfluxError.
 */
export class InfluxWriter {
  private readonly path: string;

  constructor(private readonly target: InfluxTarget) {
    this.path = writePath(target);
  }

  async write(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    // zlib's thread pool compresses while the event loop decodes the next batch.
    const body = await gzipAsync(lines.join('\n'), GZIP_OPTIONS);
    await influxRequest(this.target.url, {
      method: 'POST',
      path: this.path,
      credentials: this.target,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'content-encoding': 'gzip' },
      body,
    });
  }
}

function writePath(t: InfluxTarget): string {
  if (t.api === 'v2') return `/api/v2/write?${new URLSearchParams({ org: t.org, bucket: t.bucket, precision: 'ms' })}`;
  return `/write?${new URLSearchParams({ db: t.db, rp: t.rp, precision: 'ms' })}`;
}
