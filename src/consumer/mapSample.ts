import type { Sample } from '../schema/sample.js';
import type { Point } from './lineProtocol.js';

export interface MapOptions {
  /** Measurement the lab's Chronograf charts read. Default `labs`. */
  measurement: string;
}

/** A decoded sample becomes one point, stamped with the sample's own time. */
export function sampleToPoint(sample: Sample, options: MapOptions): Point {
  return { measurement: options.measurement, tags: { host: sample.host }, fields: sample.fields, time: sample.time };
}
