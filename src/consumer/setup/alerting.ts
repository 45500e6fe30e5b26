import type { InfluxMonitoring } from '../../influx/monitoring.js';
import { InfluxError } from '../../influx/request.js';
import {
  type AlertingOptions,
  type Decision,
  decideCheck,
  decideEndpoint,
  decideRule,
  ruleName,
  type Webhook,
  wantedChecks,
  wantedEndpoint,
  wantedRules,
} from './alertingPlan.js';

/**
 * Setup's alerting steps, one printed line each: the deadman, CPU and memory
 * checks, then with a webhook its HTTP notification endpoint and one rule per
 * check. Each is found by name, created when missing, replaced when it
 * differs from what the options want, and otherwise left alone.
 */
export async function setUpAlerting(
  monitoring: InfluxMonitoring,
  orgID: string,
  options: AlertingOptions | undefined,
  out: (line: string) => void,
): Promise<void> {
  if (!options) {
    out('alerting: skipped (--no-alerts)');
    return;
  }
  const checks = await monitoring.listChecks(orgID);
  for (const { summary, body } of wantedChecks(options, orgID)) {
    const step = `check "${body.name}" (${summary})`;
    const decision = decideCheck(checks, body);
    await stepCall(step, () =>
      decision.kind === 'create' ? monitoring.createCheck(body) : decision.kind === 'update' ? monitoring.replaceCheck(decision.found.id, body) : undefined,
    );
    out(`${step}: ${outcome(decision)}`);
  }

  const rules = await monitoring.listRules(orgID);
  if (!options.webhook) {
    const left = wantedChecks(options, orgID)
      .map(({ key }) => ruleName(options.prefix, key))
      .filter((name) => rules.some((r) => r.name === name));
    const kept = left.length === 0 ? '' : `; left as they are: ${left.map((n) => `"${n}"`).join(', ')}`;
    out(`notifications: none (no --alert-webhook), the checks' statuses land in _monitoring${kept}`);
    return;
  }

  const endpoint = wantedEndpoint({ ...options, webhook: options.webhook }, orgID);
  const endpointStep = `notification endpoint "${endpoint.name}" (POST ${shownUrl(options.webhook)}, ${authShown(options.webhook)})`;
  const endpointDecision = decideEndpoint(await monitoring.listEndpoints(orgID), endpoint);
  const written = await stepCall(endpointStep, () =>
    endpointDecision.kind === 'create'
      ? monitoring.createEndpoint(endpoint)
      : endpointDecision.kind === 'update'
        ? monitoring.replaceEndpoint(endpointDecision.found.id, endpoint)
        : undefined,
  );
  out(`${endpointStep}: ${outcome(endpointDecision)}`);
  const endpointID = written?.id ?? (endpointDecision.kind === 'create' ? '' : endpointDecision.found.id);

  for (const { summary, body } of wantedRules(options, orgID, endpointID)) {
    const step = `notification rule "${body.name}" (${summary})`;
    const decision = decideRule(rules, body, endpointDecision.kind !== 'present');
    await stepCall(step, () =>
      decision.kind === 'create' ? monitoring.createRule(body) : decision.kind === 'update' ? monitoring.replaceRule(decision.found.id, body) : undefined,
    );
    out(`${step}: ${outcome(decision)}`);
  }
}

function outcome(decision: Decision<unknown>): string {
  if (decision.kind === 'create') return 'created';
  if (decision.kind === 'update') return `updated (${decision.changed.join(', ')})`;
  return 'already present';
}

/** A refusal names the step: InfluxDB's own message alone does not say which check it was about. */
async function stepCall<T>(step: string, call: () => Promise<T> | undefined): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof InfluxError) throw new InfluxError(`${step}: ${err.message}`, err.status, err.body);
    throw err;
  }
}

/** Scheme, host and port only: a webhook's path or query often is a credential of its own. */
function shownUrl(webhook: Webhook): string {
  try {
    return new URL(webhook.url).origin;
  } catch {
    return '(an unparsable URL)';
  }
}

function authShown(webhook: Webhook): string {
  if (webhook.auth.method === 'bearer') return 'bearer token';
  if (webhook.auth.method === 'basic') return `basic auth as ${webhook.auth.user}`;
  return 'no auth';
}
