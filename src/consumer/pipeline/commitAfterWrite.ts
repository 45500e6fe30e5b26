import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from '../../log.js';
import { type Chunk, prepareChunks } from './chunks.js';
import type { DeadLetter } from './deadLetters.js';
import type { DecodeOptions } from './decode.js';
import type { SinkStats } from './stats.js';
import { InfluxConfigError, WriteAbandoned, type WriteLines, writeWithRetry } from './writeRetry.js';

export interface BatchDeps {
  write: WriteLines;
  sendDeadLetters: (letters: DeadLetter[]) => Promise<void>;
  commit: (topic: string, partition: number, nextOffset: string) => Promise<void>;
  stats: SinkStats;
  logger: Logger;
  decode: DecodeOptions;
  /** Most lines in one write request. Default 5000. */
  batchSize: number;
  /** Write requests of one partition in flight at once. Default 1. */
  writesInFlight?: number;
}

/** While a wrong setting blocks writes, the write is tried again this often. */
const BLOCKED_RETRY_MS = 30_000;

/**
 * The sink's core: for each chunk of a partition's batch, write the points,
 * dead-letter what cannot be written, and only then commit the offset after
 * the chunk. A crash anywhere before the commit re-delivers the chunk, and
 * re-writing identical points overwrites them: at-least-once, exactly-once in effect.
 *
 * With writesInFlight > 1, that many chunks are written at once, and the
 * commit moves only over chunks that are done with every chunk before them
 * done too: never past a write that InfluxDB has not acknowledged.
 */
export async function commitAfterWrite(payload: EachBatchPayload, deps: BatchDeps): Promise<void> {
  const { batch } = payload;
  const chunks = prepareChunks(batch.messages, batch.topic, batch.partition, deps);
  const done: boolean[] = [];
  let committed = 0;
  let commits = Promise.resolve();
  /** Commits, one after the other, up to the end of the done chunks that follow the committed ones. */
  const commitDone = () => {
    commits = commits.then(async () => {
      let end = committed;
      while (done[end]) end += 1;
      if (end === committed) return;
      const last = (chunks[end - 1] as Chunk).last;
      await deps.commit(batch.topic, batch.partition, (BigInt(last.offset) + 1n).toString());
      payload.resolveOffset(last.offset);
      for (const chunk of chunks.slice(committed, end)) {
        deps.stats.consumed += chunk.size;
        deps.stats.deadLetters += chunk.deadLetters.length;
      }
      committed = end;
      await payload.heartbeat();
    });
    return commits;
  };
  let next = 0;
  let stop = false;
  const writer = async () => {
    try {
      while (!stop && next < chunks.length && payload.isRunning() && !payload.isStale()) {
        const i = next++;
        const chunk = chunks[i] as Chunk;
        if (!(await writeUntilDone(chunk, batch.topic, batch.partition, payload, deps))) return;
        await deps.sendDeadLetters(chunk.deadLetters);
        chunk.lines.release();
        done[i] = true;
        await commitDone();
      }
    } finally {
      // A lost partition or a failure stops the other writers taking chunks.
      stop = true;
    }
  };
  const outcomes = await Promise.allSettled(Array.from({ length: Math.min(deps.writesInFlight ?? 1, chunks.length) }, writer));
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
  if (committed === chunks.length) deps.stats.lag.set(batch.partition, Number(batch.offsetLag()));
}

/** Writes the chunk, moving refused lines to its dead letters; false if the partition was lost meanwhile. */
async function writeUntilDone(chunk: Chunk, topic: string, partition: number, payload: EachBatchPayload, deps: BatchDeps): Promise<boolean> {
  const keepGoing = async () => {
    await payload.heartbeat();
    return payload.isRunning() && !payload.isStale();
  };
  const onRetry = (err: Error, attempt: number, waitMs: number) => {
    deps.stats.retries += 1;
    if (attempt === 1 || attempt % 10 === 0)
      deps.logger.warn({ err: err.message, attempt, waitMs, partition }, 'InfluxDB write failed; retrying, not fetching more meanwhile');
  };
  for (;;) {
    const started = Date.now();
    try {
      const outcome = await writeWithRetry(deps.write, chunk.lines, { keepGoing, onRetry });
      deps.stats.recordWrite(Date.now() - started);
      deps.stats.written += chunk.lines.count - outcome.rejected.length;
      for (const { index, reason } of outcome.rejected) {
        chunk.deadLetters.push({ message: chunk.lineMessages[index] as KafkaMessage, topic, partition, reason: `InfluxDB refused the point: ${reason}` });
      }
      if (deps.stats.blockedBy) deps.logger.info('InfluxDB accepts writes again');
      deps.stats.blockedBy = undefined;
      return true;
    } catch (err) {
      if (err instanceof WriteAbandoned) return false;
      if (!(err instanceof InfluxConfigError)) throw err;
      if (deps.stats.blockedBy !== err.message) deps.logger.error({ partition }, `writes stopped, nothing committed or lost: ${err.message}`);
      deps.stats.blockedBy = err.message;
      const waitUntil = Date.now() + BLOCKED_RETRY_MS;
      while (Date.now() < waitUntil) {
        if (!(await keepGoing())) return false;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }
}
