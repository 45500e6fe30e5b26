/** Running totals of one sink process, for logs and /metrics. */
export class SinkStats {
  consumed = 0;
  written = 0;
  deadLetters = 0;
  rejectedFields = 0;
  clockCorrected = 0;
  retries = 0;
  writeRequests = 0;
  writeSecondsTotal = 0;
  lastWriteMs = 0;
  /** Messages behind the end of each partition, at the last batch. */
  readonly lag = new Map<number, number>();
  /** Why writes are stopped, when they are (bad token, missing bucket). */
  blockedBy: string | undefined;

  recordWrite(ms: number): void {
    this.writeRequests += 1;
    this.writeSecondsTotal += ms / 1000;
    this.lastWriteMs = ms;
  }
}
