import { DRILL_NAMES, type DrillId } from './args.js';
import { type Accounting, DRILLS, type DrillContext, type Fault } from './catalog.js';
import { DrillStream } from './stream.js';
import { combine, type DrillMeasurement, type DrillReport, judge, peakBacklog } from './verdict.js';

const seconds = (ms: number | undefined) => (ms === undefined ? null : Math.round(ms / 100) / 10);

/** The JSON line printed for one drill. */
export type DrillLine = ReturnType<typeof toLine>;

/**
 * Runs drill `id` on a fresh stream: warm up, fault, time the recovery, stop
 * the stream, count every sample end to end, judge. Never throws: an error is
 * a failed drill whose report says what went wrong.
 */
export async function runDrill(id: DrillId, ctx: DrillContext, tag: string): Promise<DrillLine> {
  const spec = DRILLS[id](ctx);
  const stream = new DrillStream({ stack: ctx.stack, kafka: ctx.kafka, agents: ctx.agents, tag, progress: ctx.progress });
  let fault: Fault | undefined;
  let steady = 0;
  try {
    ctx.progress(`drill ${id} (${DRILL_NAMES[id]}): ${ctx.agents} agents, 2 sinks, group ${stream.group}`);
    await stream.start();
    await spec.prepare?.(stream);
    steady = await stream.warmUp();
    fault = await spec.fault(stream);
    const recovery = await stream.recovery(fault.faultEndMs, steady);
    const whenWatchEnded = { ...stream.lastLook };
    const repairError = await fault.repair.then(
      () => undefined,
      (err: Error) => err.message,
    );
    ctx.progress(`recovery ${seconds(recovery) ?? 'not reached'} s; stopping the stream and counting`);
    await spec.beforeFinish?.(stream);
    const fleet = await stream.finish();
    const extra: Accounting = (await spec.account?.(stream)) ?? { parts: [], checks: [], figures: {} };
    const measurement: DrillMeasurement = {
      ...combine([fleet, ...extra.parts]),
      recoveryMs: recovery,
      checks: [
        { name: 'repair', ok: repairError === undefined, detail: repairError ?? '' },
        { name: 'fleet spools empty at the end', ok: fleet.unsentAtStop === 0, detail: `${fleet.unsentAtStop} samples never acknowledged` },
        { name: 'sinks caught up at the end', ok: fleet.lagAtEnd === 0, detail: `lag ${fleet.lagAtEnd} after 90 s` },
        ...extra.checks,
      ],
    };
    const during = peakBacklog(stream.observations, fault.faultEndMs - fault.faultMs, fault.faultEndMs + (recovery ?? 0));
    const figures = {
      peak_backlog: during.peak,
      // Where a backlog that did not drain sat: in Kafka (lag) or still on the Pis (spooled).
      lag_when_watch_ended: whenWatchEnded.lag,
      spooled_when_watch_ended: whenWatchEnded.spooled,
      unreadable_looks: during.unreadable,
      duplicates: fleet.duplicates,
      lostExamples: fleet.lostExamples,
      extraExamples: fleet.extraExamples,
      ...extra.figures,
    };
    return toLine({ drill: id, name: DRILL_NAMES[id], ...measurement, ...judge(measurement) }, ctx.agents, fault, steady, figures);
  } catch (err) {
    const measurement: DrillMeasurement = { sent: 0, stored: 0, lost: 0, extra: 0, recoveryMs: undefined, checks: [] };
    const failure = `drill did not complete: ${(err as Error).message}`;
    return toLine({ drill: id, name: DRILL_NAMES[id], ...measurement, pass: false, failures: [failure] }, ctx.agents, fault, steady, {});
  } finally {
    await stream.close().catch((err: Error) => ctx.progress(`closing the stream: ${err.message}`));
    await spec.cleanup?.().catch((err: Error) => ctx.progress(`cleanup of drill ${id}: ${err.message}`));
  }
}

function toLine(report: DrillReport, agents: number, fault: Fault | undefined, steady: number, figures: Record<string, unknown>) {
  return {
    drill: report.drill,
    name: report.name,
    verdict: report.pass ? ('PASS' as const) : ('FAIL' as const),
    agents,
    sent: report.sent,
    stored: report.stored,
    lost: report.lost,
    extra: report.extra,
    recovery_s: seconds(report.recoveryMs),
    fault_s: seconds(fault?.faultMs),
    steady_backlog: steady,
    checks: Object.fromEntries(report.checks.map((c) => [c.name, c.ok])),
    failures: report.failures,
    ...figures,
  };
}
