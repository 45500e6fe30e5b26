import { InfluxAdmin } from './admin.js';
import type { InfluxMethod } from './request.js';

/** A tag InfluxDB adds to every status of a check. */
export interface Tag {
  key: string;
  value: string;
}

export type CheckLevel = 'UNKNOWN' | 'OK' | 'INFO' | 'WARN' | 'CRIT';

/** One level of a threshold check, as /api/v2/checks takes it. */
export type Threshold =
  | { type: 'greater' | 'lesser'; value: number; level: CheckLevel; allValues: boolean }
  | { type: 'range'; min: number; max: number; within: boolean; level: CheckLevel; allValues: boolean };

/** The fields of a deadman or threshold check that setup writes (PostCheck / PUT /api/v2/checks/{id}). */
export interface CheckBody {
  type: 'deadman' | 'threshold';
  name: string;
  description: string;
  orgID: string;
  status: 'active' | 'inactive';
  every: string;
  offset: string;
  /** Flux ending in one pipeline; InfluxDB rewrites its range and aggregateWindow (see alertingPlan.ts). */
  query: { text: string };
  statusMessageTemplate: string;
  tags: Tag[];
  /** deadman */
  timeSince?: string;
  staleTime?: string;
  reportZero?: boolean;
  level?: CheckLevel;
  /** threshold */
  thresholds?: Threshold[];
}

/** A check as GET /api/v2/checks lists it; `custom` checks carry none of the generated fields. */
export interface Check extends Omit<CheckBody, 'type' | 'description' | 'status' | 'every' | 'offset' | 'statusMessageTemplate' | 'tags'> {
  id: string;
  type: 'deadman' | 'threshold' | 'custom';
  description?: string;
  status?: 'active' | 'inactive';
  every?: string;
  offset?: string;
  statusMessageTemplate?: string;
  tags?: Tag[];
  taskID?: string;
}

/**
 * An HTTP notification endpoint. InfluxDB keeps `token`, `username` and
 * `password` in the organization's secret store under `<id>-token` and the
 * like, and answers with "secret: <key>" in their place.
 */
export interface EndpointBody {
  type: 'http';
  name: string;
  description: string;
  orgID: string;
  status: 'active' | 'inactive';
  url: string;
  method: 'POST';
  authMethod: 'none' | 'bearer' | 'basic';
  token?: string;
  username?: string;
  password?: string;
}

export interface Endpoint extends Omit<EndpointBody, 'type' | 'method' | 'description'> {
  id: string;
  type: string;
  method: string;
  description?: string;
}

export type RuleLevel = CheckLevel | 'ANY';

export interface TagRule {
  key: string;
  value: string;
  operator: 'equal' | 'notequal' | 'equalregex' | 'notequalregex';
}

/** An HTTP notification rule (PostNotificationRule / PUT /api/v2/notificationRules/{id}). */
export interface RuleBody {
  type: 'http';
  name: string;
  description: string;
  orgID: string;
  endpointID: string;
  status: 'active' | 'inactive';
  every: string;
  offset: string;
  statusRules: { currentLevel: RuleLevel; previousLevel?: RuleLevel }[];
  tagRules: TagRule[];
}

export interface Rule extends Omit<RuleBody, 'type' | 'description' | 'tagRules' | 'offset'> {
  id: string;
  type: string;
  description?: string;
  offset?: string;
  tagRules?: TagRule[];
  taskID?: string;
}

/** The most InfluxDB lists per page of checks, endpoints or rules. */
const PAGE = 100;

/**
 * InfluxDB 2.x's checks, notification endpoints and notification rules
 * (each of them a task InfluxDB runs), and the secrets of endpoints: one
 * HTTP request per call with the operator token. Failures are InfluxErrors
 * whose message says what to do next.
 */
export class InfluxMonitoring {
  private readonly admin: InfluxAdmin;

  constructor(url: string, token: string) {
    this.admin = new InfluxAdmin(url, token);
  }

  listChecks(orgID: string): Promise<Check[]> {
    return this.list<Check>('/api/v2/checks', 'checks', orgID);
  }

  async createCheck(check: CheckBody): Promise<Check> {
    return (await this.call<Check>('POST', '/api/v2/checks', check)) as Check;
  }

  /** PUT replaces the whole check and regenerates its task. */
  async replaceCheck(id: string, check: CheckBody): Promise<Check> {
    return (await this.call<Check>('PUT', `/api/v2/checks/${encodeURIComponent(id)}`, check)) as Check;
  }

  async deleteCheck(id: string): Promise<void> {
    await this.call('DELETE', `/api/v2/checks/${encodeURIComponent(id)}`, undefined, true);
  }

  listEndpoints(orgID: string): Promise<Endpoint[]> {
    return this.list<Endpoint>('/api/v2/notificationEndpoints', 'notificationEndpoints', orgID);
  }

  async createEndpoint(endpoint: EndpointBody): Promise<Endpoint> {
    return (await this.call<Endpoint>('POST', '/api/v2/notificationEndpoints', endpoint)) as Endpoint;
  }

  async replaceEndpoint(id: string, endpoint: EndpointBody): Promise<Endpoint> {
    return (await this.call<Endpoint>('PUT', `/api/v2/notificationEndpoints/${encodeURIComponent(id)}`, endpoint)) as Endpoint;
  }

  /** Deleting an endpoint leaves its secrets in the store: deleteSecrets removes them. */
  async deleteEndpoint(id: string): Promise<void> {
    await this.call('DELETE', `/api/v2/notificationEndpoints/${encodeURIComponent(id)}`, undefined, true);
  }

  listRules(orgID: string): Promise<Rule[]> {
    return this.list<Rule>('/api/v2/notificationRules', 'notificationRules', orgID);
  }

  async createRule(rule: RuleBody): Promise<Rule> {
    return (await this.call<Rule>('POST', '/api/v2/notificationRules', rule)) as Rule;
  }

  /** PUT regenerates the rule's task, with the endpoint's URL and auth as they are now. */
  async replaceRule(id: string, rule: RuleBody): Promise<Rule> {
    return (await this.call<Rule>('PUT', `/api/v2/notificationRules/${encodeURIComponent(id)}`, rule)) as Rule;
  }

  async deleteRule(id: string): Promise<void> {
    await this.call('DELETE', `/api/v2/notificationRules/${encodeURIComponent(id)}`, undefined, true);
  }

  async deleteSecrets(orgID: string, keys: string[]): Promise<void> {
    for (const key of keys) await this.call('DELETE', `/api/v2/orgs/${encodeURIComponent(orgID)}/secrets/${encodeURIComponent(key)}`, undefined, true);
  }

  private async list<T>(path: string, key: string, orgID: string): Promise<T[]> {
    const all: T[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const query = new URLSearchParams({ orgID, limit: String(PAGE), offset: String(offset) });
      const page = (await this.call<Record<string, T[]>>('GET', `${path}?${query}`))?.[key] ?? [];
      all.push(...page);
      if (page.length < PAGE) return all;
    }
  }

  private call<T>(method: InfluxMethod, path: string, body?: unknown, notFoundIsDone = false): Promise<T | undefined> {
    return this.admin.call<T>(method, path, body, notFoundIsDone);
  }
}
