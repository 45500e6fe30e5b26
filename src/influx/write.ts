import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import type { LineBatch } from './lineBatch.js';
import { influxRequest } from './request.js';
import type { InfluxTarget } from './target.js';

const gzipAsync = promisify(gzip);
/** Fastest level: InfluxDB inflates any level equally fast, and level 1 costs the sink half the CPU of the default for ~10% more bytes. */
export const GZIP_OPTIONS = { level: constants.Z_BEST_SPEED };

/**
 * 0 (bodies sent as they are) when InfluxDB is on this machine: over loopback
 * bytes cost nothing and gzip costs the sink CPU; else level 1 (GZIP_OPTIONS).
 */
export function defaultGzipLevel(influxUrl: string): number {
  return isLoopback(influxUrl) ? 0 : GZIP_OPTIONS.level;
}

function isLoopback(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The write path alone: one line-protocol POST per call, precision ms, gzipped
 * at gzipLevel (0 = not). Retrying and buffering are the caller's business; a
 * refusal is an InfluxError.
 */
export class InfluxWriter {
  private readonly path: string;

  constructor(
    private readonly target: InfluxTarget,
    private readonly gzipLevel: number = GZIP_OPTIONS.level,
  ) {
    this.path = writePath(target);
  }

  async write(lines: LineBatch): Promise<void> {
    if (lines.count === 0) return;
    const bytes = lines.bytes;
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (this.gzipLevel > 0) headers['content-encoding'] = 'gzip';
    // zlib's thread pool compresses while the event loop decodes the next batch.
    const body = this.gzipLevel > 0 ? await gzipAsync(bytes, { level: this.gzipLevel }) : asStream(bytes);
    await influxRequest(this.target.url, { method: 'POST', path: this.path, credentials: this.target, headers, body });
  }
}

/**
 * fetch copies a Buffer body whole before sending it: a megabyte of garbage per
 * write, which V8 frees only in a full collection. A stream's chunk goes to the
 * socket as it is; the caller keeps the bytes unchanged until the write is done.
 */
function asStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

function writePath(t: InfluxTarget): string {
  if (t.api === 'v2') return `/api/v2/write?${new URLSearchParams({ org: t.org, bucket: t.bucket, precision: 'ms' })}`;
  return `/write?${new URLSearchParams({ db: t.db, rp: t.rp, precision: 'ms' })}`;
}
