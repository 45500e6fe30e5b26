import type { Reading } from '../../influx/query.js';
import { judgeRise, renderVerdict } from './verifyRise.js';

/** What `tower-sink verify` was asked, in ms. */
export interface VerifyPlan {
  host: string;
  /** How far before the start the baseline reaches. */
  baselineMs: number;
  /** How long after the call for load a rise counts. */
  windowMs: number;
  /** Longest wait for readings still on their way: the first of the baseline, the last of the window. */
  waitMs: number;
  minRise: number;
}

export interface VerifyState {
  /** When verify started. */
  startedAt: number;
  /** When verify called for the load; undefined while it waits for the baseline. */
  loadAt?: number;
  /** Whether the one line about waiting was said. */
  saidWaiting?: boolean;
}

export type VerifyStep = { done: false; state: VerifyState; say?: string } | { done: true; pass: boolean; say: string };

/**
 * Where every read starts: `baselineMs` before the start. Readings land in
 * InfluxDB seconds after they are taken (the agent lingers up to 5 s to batch
 * them, then the sink writes), so each poll reads the baseline again: a
 * reading taken before the load was called for counts for the baseline
 * whenever it lands, and one taken after it for the window.
 */
export function readSince(plan: VerifyPlan, state: VerifyState): number {
  return state.startedAt - plan.baselineMs;
}

/**
 * Decides, from the readings landed so far (all since `readSince`), what
 * verify does next.
 *
 * Before the load is called for, every reading is the baseline's, and the
 * baseline wants `baselineMs` of them: an agent that has run that long has
 * them at once; one that started with verify has not, and its first seconds
 * (its own start) are no idle machine. So verify waits (saying so once) until
 * the readings reach back `baselineMs`, or `waitMs` from its start: then it
 * calls for the load with the readings it has, or FAILs with none. From
 * then on, readings taken up to the call are the baseline, those taken in
 * the `windowMs` after it the window.
 *
 * PASS as soon as the window shows the rise. Once the window is over, FAIL
 * when it is complete: when a reading taken after its end has landed (the
 * agent delivers a host's readings in order), or `waitMs` after its end.
 */
export function nextStep(plan: VerifyPlan, state: VerifyState, readings: Reading[], now: number): VerifyStep {
  const { host } = plan;
  if (state.loadAt === undefined) {
    const waited = now - state.startedAt;
    if (readings.length > 0 && (baselineCovered(readings, now) >= plan.baselineMs || waited >= plan.waitMs)) {
      const say = `baseline: ${readings.length} readings of ${host}; start the load now, waiting up to ${seconds(plan.windowMs)} s for a rise of ${plan.minRise} points…`;
      return { done: false, state: { ...state, loadAt: now }, say };
    }
    if (readings.length === 0 && waited >= plan.waitMs) {
      return {
        done: true,
        pass: false,
        say: `FAIL  no CPU_Usage for host "${host}" in the last ${seconds(plan.baselineMs)} s, nor after waiting ${seconds(waited)} s for readings on their way: is tower-agent running there, and tower-sink writing?`,
      };
    }
    if (state.saidWaiting) return { done: false, state };
    const say = `waiting up to ${seconds(plan.waitMs)} s for ${seconds(plan.baselineMs)} s of CPU_Usage of host "${host}" as the baseline (readings land in InfluxDB seconds after they are taken)…`;
    return { done: false, state: { ...state, saidWaiting: true }, say };
  }
  const { loadAt } = state;
  const end = loadAt + plan.windowMs;
  const baseline = readings.filter((r) => r.time <= loadAt);
  const window = readings.filter((r) => r.time > loadAt && r.time <= end);
  const verdict = judgeRise(baseline, window, plan.minRise);
  const complete = readings.some((r) => r.time > end) || now >= end + plan.waitMs;
  if (verdict.pass || (now >= end && complete)) {
    const series = [...baseline, ...window].map((r) => r.value);
    return { done: true, pass: verdict.pass, say: renderVerdict(host, verdict, series) };
  }
  return { done: false, state };
}

/**
 * How far back the readings reach, ms: from the first to now, plus the
 * readings' mean spacing, since the first of a full baseline may be taken up
 * to one sampling interval after the baseline begins.
 */
export function baselineCovered(readings: Reading[], now: number): number {
  const first = readings[0];
  const last = readings[readings.length - 1];
  if (first === undefined || last === undefined) return 0;
  const spacing = readings.length > 1 ? (last.time - first.time) / (readings.length - 1) : 0;
  return now - first.time + spacing;
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}
