/**
 * Whether a sample's time is further than maxSkewMs from the broker's (a Pi
 * without a synced clock); a missing or unusable broker time skews nothing.
 */
export function clockSkewed(sampleTime: number, brokerTime: number, maxSkewMs: number): boolean {
  return Number.isFinite(brokerTime) && brokerTime > 0 && Math.abs(sampleTime - brokerTime) > maxSkewMs;
}
