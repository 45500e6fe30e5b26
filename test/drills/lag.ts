import type { Admin, Kafka } from 'kafkajs';
import { withTimeout } from '../../src/kafka/doctor.js';
import { groupLag } from '../../src/kafka/lag.js';

/**
 * Reads a consumer group's lag on a topic: messages on the brokers that the
 * group has not committed past. NaN when the brokers do not answer in time
 * (a broker being down), which the verdict treats as "not drained".
 */
export class LagProbe {
  private readonly admin: Admin;
  private connected = false;

  constructor(
    kafka: Kafka,
    readonly group: string,
    readonly topic: string,
    /** Longest one reading may take, ms. Default 3000. */
    private readonly timeoutMs = 3_000,
  ) {
    this.admin = kafka.admin();
  }

  async lag(): Promise<number> {
    try {
      return await withTimeout(this.read(), this.timeoutMs, 'reading the group lag');
    } catch {
      return Number.NaN;
    }
  }

  async close(): Promise<void> {
    if (this.connected) await this.admin.disconnect().catch(() => undefined);
    this.connected = false;
  }

  private async connect(): Promise<void> {
    if (!this.connected) await this.admin.connect();
    this.connected = true;
  }

  private async read(): Promise<number> {
    await this.connect();
    const [ends, committed] = await Promise.all([
      this.admin.fetchTopicOffsets(this.topic),
      this.admin.fetchOffsets({ groupId: this.group, topics: [this.topic] }),
    ]);
    return groupLag(ends, committed[0]?.partitions ?? []);
  }
}
