/** A partition's offsets as kafkajs' admin.fetchTopicOffsets gives them. */
export interface PartitionEnds {
  partition: number;
  high: string;
  low: string;
}

/**
 * Messages a consumer group has not committed past, summed over partitions.
 * A partition the group never committed counts from its lowest offset, or
 * from `floor` (e.g. where the group started) when that is later.
 */
export function groupLag(ends: PartitionEnds[], committed: { partition: number; offset: string }[], floor: ReadonlyMap<number, number> = new Map()): number {
  const done = new Map(committed.map((p) => [p.partition, Number(p.offset)]));
  let lag = 0;
  for (const end of ends) {
    const at = done.get(end.partition) ?? -1;
    const from = Math.max(at >= 0 ? at : Number(end.low), floor.get(end.partition) ?? 0);
    lag += Math.max(0, Number(end.high) - from);
  }
  return lag;
}
