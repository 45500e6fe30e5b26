import { InfluxAdmin } from '../../influx/admin.js';
import { fluxQuery } from '../../influx/flux.js';
import { InfluxMonitoring } from '../../influx/monitoring.js';
import { InfluxError } from '../../influx/request.js';
import { PREFIX_TAG } from '../setup/alertingPlan.js';
import { alertsExitCode, hostLevels, levelsTable, lookbackS, prefixedChecks, statusesQuery } from './alertsTable.js';

export interface AlertsOptions {
  url: string;
  org: string;
  /** Reads checks and _monitoring: the operator token, or one with read on both. */
  token: string;
  /** The checks `tower-sink setup --alert-prefix` made. */
  prefix: string;
  /** Only this host; undefined: every host. */
  host?: string;
}

/** Exit code when the question could not be answered: bad settings, InfluxDB out of reach, no checks. */
export const ALERTS_UNANSWERED = 2;

/**
 * Prints the current level of every check of the prefix for every host it
 * has statuses of, from _monitoring. Resolves to 1 when any is CRIT, 0 when
 * none is, and 2 (after printing why) when it cannot tell: InfluxDB out of
 * reach or refusing the token, no such checks, or no statuses of --host.
 */
export async function runAlerts(options: AlertsOptions, out: (line: string) => void, fail: (line: string) => void): Promise<number> {
  try {
    const org = await new InfluxAdmin(options.url, options.token).findOrg(options.org);
    if (!org) {
      fail(`organization "${options.org}" not found at ${options.url}: fix --influx-org (TOWER_INFLUX_ORG)`);
      return ALERTS_UNANSWERED;
    }
    const checks = prefixedChecks(await new InfluxMonitoring(options.url, options.token).listChecks(org.id), options.prefix);
    if (checks.length === 0) {
      fail(`no checks with the tag ${PREFIX_TAG}=${options.prefix} in organization ${options.org}: run tower-sink setup, or fix --alert-prefix`);
      return ALERTS_UNANSWERED;
    }
    const rows = await fluxQuery(options, options.org, statusesQuery(options.prefix, options.host, lookbackS(checks)));
    const levels = hostLevels(rows);
    const names = checks.map((c) => `"${c.name}"`).join(', ');
    if (levels.length === 0 && options.host !== undefined) {
      fail(`no statuses of host ${options.host} from the checks ${names}: is that the host tag its agent sends (--host), and has it sent samples?`);
      return ALERTS_UNANSWERED;
    }
    if (levels.length === 0) out(`no statuses yet from the checks ${names}`);
    for (const line of levels.length === 0 ? [] : levelsTable(levels)) out(line);
    return alertsExitCode(levels);
  } catch (err) {
    if (!(err instanceof InfluxError)) throw err;
    fail(err.message);
    return ALERTS_UNANSWERED;
  }
}
