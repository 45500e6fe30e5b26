import { parseArgs } from 'node:util';

export const DRILL_NAMES = {
  a: 'kafka-broker-down',
  b: 'influxdb-down',
  c: 'sinks-killed',
  d: 'pi-link-cut',
  e: 'hostile-burst',
} as const;

export type DrillId = keyof typeof DRILL_NAMES;

export interface DrillArgs {
  /** Simulated Pis streaming during each drill. Default 1000. */
  agents: number;
  /** Which drills to run, in order. Default all. */
  only: DrillId[];
}

export class DrillUsageError extends Error {
  override name = 'DrillUsageError';
}

export const USAGE = 'usage: npm run drills [-- --agents N] [--only a,b,…]   (a broker down, b InfluxDB down, c sinks killed, d Pi link cut, e hostile burst)';

export function parseDrillArgs(argv: string[]): DrillArgs {
  let values: { agents?: string; only?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { agents: { type: 'string' }, only: { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new DrillUsageError(`${(err as Error).message}\n${USAGE}`);
  }
  const agents = values.agents === undefined ? 1000 : Number(values.agents);
  if (!Number.isInteger(agents) || agents < 1) throw new DrillUsageError(`--agents must be a whole number ≥ 1, got ${values.agents}\n${USAGE}`);
  const all = Object.keys(DRILL_NAMES) as DrillId[];
  if (values.only === undefined) return { agents, only: all };
  const asked = values.only
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const unknown = asked.filter((id) => !all.includes(id as DrillId));
  if (asked.length === 0 || unknown.length > 0)
    throw new DrillUsageError(`--only takes drill letters among ${all.join(',')}, got ${JSON.stringify(values.only)}\n${USAGE}`);
  return { agents, only: all.filter((id) => asked.includes(id)) };
}
