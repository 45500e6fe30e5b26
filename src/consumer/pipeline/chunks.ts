import type { KafkaMessage } from 'kafkajs';
import { BufferPool, type LineBatch, LineBatchBuilder } from '../../influx/lineBatch.js';
import type { Logger } from '../../log.js';
import type { DeadLetter } from './deadLetters.js';
import { type Decoded, type DecodeOptions, decodeMessage, spreadCorrectedTimes } from './decode.js';
import { toLine } from './lineProtocol.js';
import type { SinkStats } from './stats.js';
import { type TowerLineWriter, towerLineWriter } from './towerLine.js';

/** Up to batchSize messages of a partition's batch, ready to write. */
export interface Chunk {
  /** Its lines; `release()` them once written and dead-lettered. */
  lines: LineBatch;
  /** The message each line came from, by line index. */
  lineMessages: KafkaMessage[];
  /** What cannot be written, with the reason. */
  deadLetters: DeadLetter[];
  /** Its last message: the commit after this chunk points past it. */
  last: KafkaMessage;
  /** Its messages, whether they became lines or not. */
  size: number;
}

export interface ChunkOptions {
  decode: DecodeOptions;
  /** Most messages in one chunk (one write request). */
  batchSize: number;
  stats: SinkStats;
  logger: Logger;
}

const writers = new WeakMap<DecodeOptions, TowerLineWriter>();
/** Written chunks hand their buffers back here (Chunk.lines.release()). */
const bodies = new BufferPool();

/**
 * A partition's batch in chunks of batchSize messages, each message a line
 * (written straight from its bytes when it takes towerLine's path), nothing
 * (a probe) or a dead letter. Samples moved to the broker's clock join their
 * chunk's lines last, once their times are spread over the whole batch.
 */
export function prepareChunks(messages: KafkaMessage[], topic: string, partition: number, options: ChunkOptions): Chunk[] {
  const writeFast = fastWriter(options.decode);
  const chunks: ChunkBuilder[] = [];
  const corrected: { chunk: ChunkBuilder; message: KafkaMessage; decoded: Decoded }[] = [];
  for (let start = 0; start < messages.length; start += options.batchSize) {
    const end = Math.min(start + options.batchSize, messages.length);
    const chunk = new ChunkBuilder(messages[end - 1] as KafkaMessage, end - start, topic, partition, options);
    chunks.push(chunk);
    for (let i = start; i < end; i += 1) {
      const message = messages[i] as KafkaMessage;
      if (writeFast(message, chunk.out)) chunk.lineMessages.push(message);
      else {
        const decoded = decodeMessage(message, options.decode);
        if (decoded.kind === 'point' && decoded.clockCorrected) corrected.push({ chunk, message, decoded });
        else chunk.add(message, decoded);
      }
    }
  }
  const spread = spreadCorrectedTimes(corrected.map((c) => c.decoded));
  for (const [i, c] of corrected.entries()) c.chunk.add(c.message, spread[i] as Decoded);
  return chunks.map((chunk) => chunk.build());
}

function fastWriter(options: DecodeOptions): TowerLineWriter {
  let writer = writers.get(options);
  if (!writer) {
    writer = towerLineWriter(options);
    writers.set(options, writer);
  }
  return writer;
}

class ChunkBuilder {
  readonly out: LineBatchBuilder;
  readonly lineMessages: KafkaMessage[] = [];
  private readonly deadLetters: DeadLetter[] = [];

  constructor(
    private readonly last: KafkaMessage,
    private readonly size: number,
    private readonly topic: string,
    private readonly partition: number,
    private readonly options: ChunkOptions,
  ) {
    // A line is about as long as its message: room enough that the buffer seldom grows.
    this.out = new LineBatchBuilder(Math.max(4096, size * 256), bodies);
  }

  /** A message the general path decoded. */
  add(message: KafkaMessage, decoded: Decoded): void {
    if (decoded.kind === 'probe') return;
    if (decoded.kind === 'invalid') {
      this.deadLetter(message, decoded.reason);
      return;
    }
    try {
      this.out.addLine(toLine(decoded.point));
    } catch (err) {
      this.deadLetter(message, (err as Error).message);
      return;
    }
    this.lineMessages.push(message);
    const { stats, logger } = this.options;
    if (decoded.clockCorrected) stats.clockCorrected += 1;
    if (decoded.rejected.length > 0) {
      stats.rejectedFields += decoded.rejected.length;
      logger.warn({ partition: this.partition, offset: message.offset, rejected: decoded.rejected }, 'dropped fields that are not numbers; wrote the rest');
    }
  }

  build(): Chunk {
    return { lines: this.out.build(), lineMessages: this.lineMessages, deadLetters: this.deadLetters, last: this.last, size: this.size };
  }

  private deadLetter(message: KafkaMessage, reason: string): void {
    this.deadLetters.push({ message, topic: this.topic, partition: this.partition, reason });
  }
}
