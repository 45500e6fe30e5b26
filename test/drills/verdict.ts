// The drills' judgement, kept pure: counts and observations in, verdict out.

/** What every drill must meet. */
export interface DrillTargets {
  /** Most samples acknowledged by Kafka but missing from InfluxDB. Default 0. */
  maxLost: number;
  /** Most points in InfluxDB that no acknowledged sample accounts for. Default 0. */
  maxExtra: number;
  /** Longest time from the fault's end until the backlog is drained, ms. Default 30 000. */
  maxRecoveryMs: number;
}

export const DEFAULT_TARGETS: DrillTargets = { maxLost: 0, maxExtra: 0, maxRecoveryMs: 30_000 };

/** sent = acknowledged by Kafka; stored = distinct points in InfluxDB for the drill's hosts. */
export interface Reconciled {
  sent: number;
  stored: number;
  lost: number;
  extra: number;
}

/** A drill-specific condition, e.g. "every bad message dead-lettered with a reason". */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DrillMeasurement extends Reconciled {
  /** From the fault's end to the backlog drained; undefined when it never drained while watched. */
  recoveryMs: number | undefined;
  checks: Check[];
}

export interface Judgement {
  pass: boolean;
  failures: string[];
}

export function judge(m: DrillMeasurement, targets: DrillTargets = DEFAULT_TARGETS): Judgement {
  const failures: string[] = [];
  if (m.sent === 0) failures.push('no sample was acknowledged by Kafka: the drill measured nothing');
  if (m.lost > targets.maxLost) failures.push(`${m.lost} acknowledged samples missing from InfluxDB (target ≤ ${targets.maxLost})`);
  if (m.extra > targets.maxExtra) failures.push(`${m.extra} extra points in InfluxDB (target ≤ ${targets.maxExtra})`);
  if (m.recoveryMs === undefined) failures.push('the backlog never drained while watched');
  else if (m.recoveryMs > targets.maxRecoveryMs) {
    failures.push(`backlog drained ${seconds(m.recoveryMs)} s after the fault (target ≤ ${seconds(targets.maxRecoveryMs)} s)`);
  }
  for (const check of m.checks) if (!check.ok) failures.push(`${check.name}: ${check.detail}`);
  return { pass: failures.length === 0, failures };
}

/** Adds up the reconciliations of separately counted host groups (the fleet, one real Pi, hostile samples). */
export function combine(parts: Reconciled[]): Reconciled {
  return parts.reduce((a, b) => ({ sent: a.sent + b.sent, stored: a.stored + b.stored, lost: a.lost + b.lost, extra: a.extra + b.extra }), {
    sent: 0,
    stored: 0,
    lost: 0,
    extra: 0,
  });
}

/**
 * For a host group known only by counts (a real agent reports how many samples
 * Kafka acknowledged, not which): what is missing or beyond them. Distinct
 * sample times make the stored count exact, so a shortfall is loss.
 */
export function reconcileCounts(sent: number, stored: number): Reconciled {
  return { sent, stored, lost: Math.max(0, sent - stored), extra: Math.max(0, stored - sent) };
}

/** One look at the pipeline's backlog: samples not yet in InfluxDB, NaN when it could not be read. */
export interface BacklogObservation {
  atMs: number;
  backlog: number;
  /** A drill's own condition says not drained, whatever the backlog (a real Pi's spool still sending). */
  held?: boolean;
}

/**
 * The backlog a healthy stream carries anyway (samples in flight, batches
 * waiting for their commit): the most seen before the fault, and never less
 * than `floor` (one second of samples).
 */
export function steadyBacklog(beforeFault: BacklogObservation[], floor: number): number {
  return beforeFault.reduce((most, o) => (Number.isFinite(o.backlog) ? Math.max(most, o.backlog) : most), floor);
}

/**
 * Ms from `faultEndMs` to the first observation at or after it from which the
 * backlog stays at or below `threshold` for `holdMs` (at least one later
 * observation must show that), or undefined if that never happened.
 */
export function recoveryMs(faultEndMs: number, observations: BacklogObservation[], threshold: number, holdMs: number): number | undefined {
  const after = observations.filter((o) => o.atMs >= faultEndMs).sort((a, b) => a.atMs - b.atMs);
  const drained = (o: BacklogObservation) => !o.held && Number.isFinite(o.backlog) && o.backlog <= threshold;
  for (let i = 0; i < after.length; i += 1) {
    const start = after[i] as BacklogObservation;
    if (!drained(start)) continue;
    let held = true;
    let covered = false;
    for (let j = i + 1; j < after.length && held; j += 1) {
      const next = after[j] as BacklogObservation;
      if (!drained(next)) held = false;
      else if (next.atMs - start.atMs >= holdMs) covered = true;
      if (covered) break;
    }
    if (held && covered) return start.atMs - faultEndMs;
  }
  return undefined;
}

/** Whether the watcher has seen enough to stop: recovered (and held), or past its deadline. */
export function doneWatching(
  faultEndMs: number,
  observations: BacklogObservation[],
  threshold: number,
  holdMs: number,
  nowMs: number,
  watchMs: number,
): boolean {
  return recoveryMs(faultEndMs, observations, threshold, holdMs) !== undefined || nowMs - faultEndMs >= watchMs;
}

/** The most samples backed up in [fromMs, toMs], and how many looks there could not read the backlog. */
export function peakBacklog(observations: BacklogObservation[], fromMs: number, toMs: number): { peak: number; unreadable: number } {
  const within = observations.filter((o) => o.atMs >= fromMs && o.atMs <= toMs);
  const readable = within.filter((o) => Number.isFinite(o.backlog)).map((o) => o.backlog);
  return { peak: Math.max(0, ...readable), unreadable: within.length - readable.length };
}

export interface DrillReport extends DrillMeasurement, Judgement {
  drill: string;
  name: string;
}

export interface Summary {
  summary: true;
  verdict: 'PASS' | 'FAIL';
  passed: string[];
  failed: string[];
}

export function summarize(reports: Pick<DrillReport, 'drill' | 'pass'>[]): Summary {
  const passed = reports.filter((r) => r.pass).map((r) => r.drill);
  const failed = reports.filter((r) => !r.pass).map((r) => r.drill);
  return { summary: true, verdict: failed.length === 0 && passed.length > 0 ? 'PASS' : 'FAIL', passed, failed };
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;
