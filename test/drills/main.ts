// npm run drills [-- --agents N] [--only a,b]
// Failure drills with a pass/fail verdict: while N simulated Pis stream into
// `resource`, break one thing (a Kafka broker, InfluxDB, the sinks, a Pi's
// link, the input itself), repair it, and count every sample end to end.
// One JSON line per drill on stdout, then a summary line; exit 0 only if all pass.
//
// The drills break and repair the services under TOWER_STATE_DIR (default:
// the project's .tower, as `npm run services:up` starts them). To keep them
// off services others use, start a second stack and point the drills at it:
//   TOWER_STATE_DIR=/tmp/tower-drills TOWER_KAFKA_PORT_BASE=9290 TOWER_INFLUX_PORT=8087 npm run drills
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repairStackSync } from '../../support/faults.js';
import { benchKafka } from '../../support/fleet/index.js';
import { killPisSync } from '../../support/netnsPi.js';
import { REPO_ROOT } from '../../support/services.js';
import { loadStack } from '../../support/stack.js';
import { DrillUsageError, parseDrillArgs } from './args.js';
import { type DrillLine, runDrill } from './runDrill.js';
import { killStreamsSync } from './stream.js';
import { summarize } from './verdict.js';

/** Longest one drill may take before the whole run is abandoned, ms. */
const DRILL_BUDGET_MS = 7 * 60_000;

const progress = (message: string) => process.stderr.write(`[drills ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

async function main(): Promise<number> {
  let args: ReturnType<typeof parseDrillArgs>;
  try {
    args = parseDrillArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof DrillUsageError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  for (const built of ['dist/agent/main.js', 'dist/consumer/main.js']) {
    if (!existsSync(join(REPO_ROOT, built))) throw new Error(`${built} is missing; run npm run build (npm run drills does)`);
  }
  const stack = loadStack();
  progress(
    `stack ${stack.stateDir}: brokers ${stack.services.brokers.join(',')}, InfluxDB ${stack.services.influx.url}; these services WILL be stopped and restarted`,
  );
  const bail = (why: string, code: number) => {
    progress(`${why}: putting the stack back together and exiting`);
    killStreamsSync();
    killPisSync();
    for (const problem of repairStackSync(stack)) progress(problem);
    process.exit(code);
  };
  const watchdog = setTimeout(
    () => bail(`the drills ran over their ${(DRILL_BUDGET_MS * args.only.length) / 60_000} min budget`, 1),
    DRILL_BUDGET_MS * args.only.length + 60_000,
  );
  process.once('SIGINT', () => bail('interrupted', 130));
  process.once('SIGTERM', () => bail('terminated', 143));

  const kafka = benchKafka(stack.services.brokers, 'tower-drills');
  const run = randomBytes(3).toString('hex');
  const started = Date.now();
  const lines: DrillLine[] = [];
  for (const id of args.only) {
    const line = await runDrill(id, { stack, kafka, agents: args.agents, progress }, `${run}-${id}`);
    lines.push(line);
    process.stdout.write(`${JSON.stringify(line)}\n`);
    if (line.verdict === 'FAIL') {
      progress(`drill ${id} failed: ${line.failures.join('; ')}`);
      for (const problem of repairStackSync(stack)) progress(problem);
    }
  }
  clearTimeout(watchdog);
  const summary = summarize(lines.map((l) => ({ drill: l.drill, pass: l.verdict === 'PASS' })));
  const totals = { sent: sum(lines, 'sent'), stored: sum(lines, 'stored'), lost: sum(lines, 'lost'), extra: sum(lines, 'extra') };
  const slowest = Math.max(...lines.map((l) => l.recovery_s ?? Number.POSITIVE_INFINITY));
  process.stdout.write(
    `${JSON.stringify({ ...summary, agents: args.agents, ...totals, slowest_recovery_s: slowest, minutes: Math.round((Date.now() - started) / 6_000) / 10 })}\n`,
  );
  return summary.verdict === 'PASS' ? 0 : 1;
}

const sum = (lines: DrillLine[], key: 'sent' | 'stored' | 'lost' | 'extra') => lines.reduce((total, l) => total + l[key], 0);

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    progress(`error: ${err.message}`);
    process.exit(1);
  },
);
