// Run as a child process by cronTimes.test.ts, with TZ set: compares
// nextRunAfter with node-cron's own matcher (task.match) for many
// expressions and start times, and prints the disagreements as JSON.
// node-cron caches its Intl formatters with the time zone they were made in,
// so each time zone needs a process of its own.
import cron from 'node-cron';
import { nextRunAfter, parseSchedule } from '../../src/agent/cronTimes.js';

export const EXPRESSIONS = [
  '* * * * * *',
  '*/5 * * * * *',
  '7,19,58 * * * * *',
  '* * * * *',
  '30 */15 * * * *',
  '0 0 * * * *',
  '15 10 3 * * *',
  '0 0 12 * * mon-fri',
  '0 30 6 1,15 * *',
  '0 0 0 L * *',
  '0 0 9 L-2 * *',
  '0 0 9 15W * *',
  '0 0 9 LW * *',
  '0 0 18 * * 5L',
  '0 0 8 * * 2#3',
  '0 0 0 29 2 *',
  '0 0 0 1 jan,jul *',
  '0 0 0 13 * 5',
];

/** A small seeded generator, so a failure can be run again. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Disagreement {
  expression: string;
  after: string;
  ours: string | null;
  why: string;
}

/** The first second after `afterMs` that node-cron matches, searched second by second up to `untilMs`. */
function bruteForce(match: (d: Date) => boolean, afterMs: number, untilMs: number): number | undefined {
  for (let t = Math.floor(afterMs / 1000) * 1000 + 1000; t <= untilMs; t += 1000) if (match(new Date(t))) return t;
  return undefined;
}

/** Days between two instants on which a daylight-saving change happens (there node-cron and Tower differ on purpose). */
function offsetChanges(fromMs: number, toMs: number): boolean {
  const first = new Date(fromMs).getTimezoneOffset();
  for (let t = fromMs; t <= toMs + 86_400_000; t += 3_600_000) if (new Date(t).getTimezoneOffset() !== first) return true;
  return false;
}

export function compare(cases: number, seed: number): { checked: number; skipped: number; disagreements: Disagreement[] } {
  const next = random(seed);
  const disagreements: Disagreement[] = [];
  let checked = 0;
  let skipped = 0;
  const base = Date.UTC(2026, 0, 1);
  for (const expression of EXPRESSIONS) {
    const task = cron.createTask(expression, () => undefined);
    const fields = parseSchedule(expression);
    const product = fields.second.length * fields.minute.length * fields.hour.length;
    for (let i = 0; i < cases; i++) {
      const after = base + Math.floor(next() * 3 * 365 * 86_400_000);
      const ours = nextRunAfter(fields, after);
      const report = (why: string) =>
        disagreements.push({ expression, after: new Date(after).toISOString(), ours: ours === undefined ? null : new Date(ours).toISOString(), why });
      if (ours === undefined) {
        report('no next run found');
        continue;
      }
      if (offsetChanges(after, ours)) {
        skipped += 1;
        continue;
      }
      checked += 1;
      if (!task.match(new Date(ours))) report('node-cron does not match this time');
      else if (ours - after <= 2 * 3_600_000) {
        const theirs = bruteForce((d) => task.match(d), after, ours);
        if (theirs !== ours) report(`node-cron matches ${theirs === undefined ? 'nothing' : new Date(theirs).toISOString()} first`);
      } else if (product <= 4) {
        // Sparse: try each day's few times between the two instants.
        for (let day = new Date(after); day.getTime() < ours; day = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1)) {
          for (const h of fields.hour)
            for (const m of fields.minute)
              for (const s of fields.second) {
                const at = new Date(day.getFullYear(), day.getMonth(), day.getDate(), h, m, s).getTime();
                if (at > after && at < ours && task.match(new Date(at))) report(`node-cron matches ${new Date(at).toISOString()} first`);
              }
        }
      }
    }
    void task.destroy();
  }
  return { checked, skipped, disagreements };
}

if (process.argv[2] === 'run') {
  console.log(JSON.stringify(compare(Number(process.argv[3] ?? 20), Number(process.argv[4] ?? 1))));
}
