import { settleWithin } from '../lifecycle.js';
import type { Logger } from '../log.js';
import { backoffMs } from '../retry/backoff.js';
import type { RecordSender } from './producer.js';
import type { Spool } from './spool.js';

export interface DeliveryOptions {
  /** Most samples sent in one produce request. Default 500. */
  batchMax?: number;
  /**
   * How long a new sample may wait for others to share its produce request,
   * ms; 0 sends each sample at once. Default 0. A produce request costs the
   * agent several times the CPU of taking a sample, so a few seconds here cut
   * its CPU by that factor, at that much delivery delay.
   */
  lingerMs?: number;
  /** First wait after a failed send, ms; doubles up to retryMaxMs. Default 500. */
  retryMinMs?: number;
  /** Longest wait between attempts, ms. Default 5 000: one reconnect attempt is cheap, and the spool must drain within 30 s of the link's return. */
  retryMaxMs?: number;
  /** How often to repeat the "still failing" warning during an outage, ms. Default 60 000. */
  outageLogEveryMs?: number;
}

export interface DeliveryStats {
  sent: number;
  sendErrors: number;
  /** ms timestamp of the last successful send, if any. */
  lastSentAt: number | undefined;
}

/**
 * Moves samples from the spool to Kafka in order. Every sample is spooled
 * first (write-ahead), so the sender only ever reads the spool's head: a
 * failed send leaves it there to be retried with capped exponential backoff.
 * This is the retry buffer; the write path is the RecordSender.
 */
export class Delivery {
  readonly stats: DeliveryStats = { sent: 0, sendErrors: 0, lastSentAt: undefined };
  private readonly options: Required<DeliveryOptions>;
  private stopping = false;
  private wake: (() => void) | undefined;
  private wakeOnData = false;
  private loop: Promise<void> | undefined;
  private outage: { since: number; lastLogged: number } | undefined;
  /** When the oldest sample enqueued since the spool was last emptied arrived; undefined for a backlog found at start. */
  private oldestUnsentAt: number | undefined;

  constructor(
    private readonly spool: Spool,
    private readonly sender: RecordSender,
    private readonly logger: Logger,
    options: DeliveryOptions = {},
  ) {
    this.options = { batchMax: 500, lingerMs: 0, retryMinMs: 500, retryMaxMs: 5_000, outageLogEveryMs: 60_000, ...options };
  }

  /** Spools the sample (so a crash cannot lose it) and nudges the sender. */
  enqueue(record: Uint8Array): void {
    this.spool.append([record]);
    this.oldestUnsentAt ??= Date.now();
    if (this.wakeOnData) this.wake?.();
  }

  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Stops after the send in flight, or one last send of lingering samples,
   * waiting at most `timeoutMs` in all; unsent samples stay spooled.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.wake?.();
    if (this.loop) await settleWithin(this.loop, timeoutMs);
  }

  private async run(): Promise<void> {
    let failures = 0;
    for (;;) {
      const batch = this.spool.peek(this.options.batchMax);
      if (batch.records.length === 0) {
        if (this.stopping) return;
        await this.idle(Number.POSITIVE_INFINITY, true);
        continue;
      }
      const linger = failures > 0 || this.stopping ? 0 : this.lingerLeft(batch.records.length);
      if (linger > 0) {
        await this.idle(linger, false);
        continue;
      }
      try {
        await this.sender.send(batch.records);
        this.spool.ack(batch.next);
        if (this.spool.length === 0) this.oldestUnsentAt = undefined;
        this.recordSuccess(batch.records.length);
        failures = 0;
      } catch (err) {
        failures += 1;
        this.recordFailure(err as Error);
        if (this.stopping) return;
        await this.idle(backoffMs(failures, this.options.retryMinMs, this.options.retryMaxMs), false);
      }
      // Stopping ends the loop after a send, and after a failure without another try.
      if (this.stopping) return;
    }
  }

  /** ms the head batch should still wait for company: none for a full batch or a backlog from before start. */
  private lingerLeft(batchLength: number): number {
    if (this.options.lingerMs <= 0 || batchLength >= this.options.batchMax || this.oldestUnsentAt === undefined) return 0;
    return this.oldestUnsentAt + this.options.lingerMs - Date.now();
  }

  private recordSuccess(count: number): void {
    this.stats.sent += count;
    this.stats.lastSentAt = Date.now();
    if (this.outage) {
      const seconds = Math.round((Date.now() - this.outage.since) / 1000);
      this.logger.info({ outageSeconds: seconds, spooled: this.spool.length }, 'brokers reachable again; sending the spooled samples in order');
      this.outage = undefined;
    }
  }

  private recordFailure(err: Error): void {
    this.stats.sendErrors += 1;
    const now = Date.now();
    const fields = { err: { type: err.name, message: err.message }, spooled: this.spool.length, droppedByCap: this.spool.dropped };
    if (!this.outage) {
      this.outage = { since: now, lastLogged: now };
      this.logger.error(fields, 'cannot send samples to Kafka; keeping them in the spool and retrying');
    } else if (now - this.outage.lastLogged >= this.options.outageLogEveryMs) {
      this.outage.lastLogged = now;
      this.logger.warn({ ...fields, outageSeconds: Math.round((now - this.outage.since) / 1000) }, 'still cannot send samples to Kafka');
    }
  }

  /** Sleeps until `ms` pass or stop() is called, or (if `onData`) a sample is enqueued. */
  private idle(ms: number, onData: boolean): Promise<void> {
    this.wakeOnData = onData;
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      const self = this;
      function done(): void {
        if (timer) clearTimeout(timer);
        self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }
}
