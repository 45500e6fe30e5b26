import type { LineBatch } from '../../influx/lineBatch.js';
import { InfluxError } from '../../influx/request.js';
import { backoffMs } from '../../retry/backoff.js';

/** A setting is wrong (token, org, bucket, URL path): retrying cannot help until a person fixes it. */
export class InfluxConfigError extends Error {
  override name = 'InfluxConfigError';
}

export interface RetryOptions {
  /** First wait after a retryable failure, ms. Default 500. */
  retryMinMs?: number;
  /** Longest wait, ms. Default 5 000: a retry is one request, and the backlog must drain within 30 s of InfluxDB's return. */
  retryMaxMs?: number;
  /** Called between attempts (the sink heartbeats Kafka here); returns false to give up. */
  keepGoing?: () => Promise<boolean>;
  /** Called once per failed attempt, for logs and metrics. */
  onRetry?: (err: Error, attempt: number, waitMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

export type WriteLines = (lines: LineBatch) => Promise<void>;

/** Outcome of writing a batch: which lines InfluxDB refused as bad data (by index in the batch), and why. */
export interface WriteOutcome {
  rejected: { index: number; line: string; reason: string }[];
}

export class WriteAbandoned extends Error {
  override name = 'WriteAbandoned';
}

/**
 * The retry buffer around the write path. Network errors, 429 and 5xx are
 * retried with capped exponential backoff and jitter, honouring Retry-After
 * (seconds, as servers send it). 400/422 mean bad lines: the batch is split
 * until the bad lines are isolated, and the good ones are written. 401, 403
 * and 404 throw InfluxConfigError.
 */
export async function writeWithRetry(write: WriteLines, lines: LineBatch, options: RetryOptions = {}): Promise<WriteOutcome> {
  const rejected: WriteOutcome['rejected'] = [];
  await writeOrSplit(write, lines, options, rejected);
  return { rejected };
}

async function writeOrSplit(write: WriteLines, lines: LineBatch, options: RetryOptions, rejected: WriteOutcome['rejected']): Promise<void> {
  if (lines.count === 0) return;
  try {
    await retryTransient(() => write(lines), options);
  } catch (err) {
    if (!(err instanceof InfluxError) || !isBadData(err.status)) throw err;
    if (lines.count === 1) {
      rejected.push({ index: lines.first, line: lines.line(0), reason: `HTTP ${err.status}: ${err.body.slice(0, 300)}` });
      return;
    }
    const middle = Math.ceil(lines.count / 2);
    await writeOrSplit(write, lines.slice(0, middle), options, rejected);
    await writeOrSplit(write, lines.slice(middle, lines.count), options, rejected);
  }
}

async function retryTransient(attempt: () => Promise<void>, options: RetryOptions): Promise<void> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let failures = 1; ; failures += 1) {
    try {
      return await attempt();
    } catch (err) {
      if (err instanceof InfluxError && isBadData(err.status)) throw err;
      if (err instanceof InfluxError && isConfigProblem(err.status)) throw new InfluxConfigError(configAdvice(err));
      const wait = waitFor(err as Error, failures, options);
      options.onRetry?.(err as Error, failures, wait);
      await sleep(wait);
      if (options.keepGoing && !(await options.keepGoing())) throw new WriteAbandoned('write abandoned: the partition was revoked or the sink is stopping');
    }
  }
}

const isBadData = (status: number) => status === 400 || status === 422;
const isConfigProblem = (status: number) => status === 401 || status === 403 || status === 404;

function waitFor(err: Error, failures: number, options: RetryOptions): number {
  const computed = backoffMs(failures, options.retryMinMs ?? 500, options.retryMaxMs ?? 5_000);
  if (err instanceof InfluxError && err.retryAfterS !== undefined) return Math.max(computed, err.retryAfterS * 1000);
  return computed;
}

function configAdvice(err: InfluxError): string {
  const base = `InfluxDB answered HTTP ${err.status}: ${err.body.slice(0, 200)}`;
  if (err.status === 401) return `${base} — the token or v1 password is wrong: fix TOWER_INFLUX_TOKEN / --influx-token-file (or TOWER_V1_PASSWORD with --v1)`;
  if (err.status === 403) return `${base} — the token may not write this bucket: give it write permission on the bucket, or fix TOWER_INFLUX_TOKEN`;
  return `${base} — the org, bucket or database does not exist: fix --influx-org / --influx-bucket (or --v1-db / --v1-rp and the DBRP mapping with --v1), or --influx-url`;
}
