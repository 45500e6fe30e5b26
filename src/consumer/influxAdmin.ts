import type { DbrpMapping, V1Authorization } from './setupPlan.js';
import { influxAuthorization } from './influxWriter.js';

/** An InfluxDB admin request failed; the message says what to do next. */
export class InfluxAdminError extends Error {
  override name = 'InfluxAdminError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface Org {
  id: string;
  name: string;
}

export interface Bucket {
  id: string;
  orgID: string;
  name: string;
}

export interface NewDbrp {
  orgID: string;
  bucketID: string;
  database: string;
  retention_policy: string;
  default: boolean;
}

export interface NewV1Authorization {
  orgID: string;
  /** The v1 user name: InfluxDB 2.x keeps it as the legacy authorization's token. */
  token: string;
  description: string;
  permissions: V1Authorization['permissions'];
}

/**
 * The few InfluxDB 2.x admin calls `tower-sink setup` needs, each one HTTP
 * request with the operator token. Not-found answers come back as undefined;
 * every other failure is an InfluxAdminError.
 */
export class InfluxAdmin {
  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async findOrg(name: string): Promise<Org | undefined> {
    const body = await this.call<{ orgs?: Org[] }>('GET', `/api/v2/orgs?${new URLSearchParams({ org: name })}`, undefined, true);
    return body?.orgs?.find((o) => o.name === name);
  }

  async findBucket(orgID: string, name: string): Promise<Bucket | undefined> {
    const body = await this.call<{ buckets?: Bucket[] }>('GET', `/api/v2/buckets?${new URLSearchParams({ orgID, name })}`, undefined, true);
    return body?.buckets?.find((b) => b.name === name);
  }

  async listDbrps(orgID: string): Promise<DbrpMapping[]> {
    const body = await this.call<{ content?: DbrpMapping[] }>('GET', `/api/v2/dbrps?${new URLSearchParams({ orgID })}`);
    return body?.content ?? [];
  }

  async createDbrp(mapping: NewDbrp): Promise<DbrpMapping> {
    return (await this.call<DbrpMapping>('POST', '/api/v2/dbrps', mapping)) as DbrpMapping;
  }

  /** Every v1 (legacy) authorization the token can see, in all organizations. */
  async listV1Authorizations(): Promise<V1Authorization[]> {
    const body = await this.call<{ authorizations?: V1Authorization[] }>('GET', '/private/legacy/authorizations');
    return body?.authorizations ?? [];
  }

  async createV1Authorization(auth: NewV1Authorization): Promise<V1Authorization> {
    return (await this.call<V1Authorization>('POST', '/private/legacy/authorizations', auth)) as V1Authorization;
  }

  /** The endpoint behind `influx v1 auth set-password` (InfluxDB 2.x has no PUT for it). */
  async setV1Password(authID: string, password: string): Promise<void> {
    await this.call('POST', `/private/legacy/authorizations/${encodeURIComponent(authID)}/password`, { password });
  }

  /**
   * Whether InfluxDB's v1 /query accepts user:password (HTTP 200) or refuses
   * it (HTTP 401), as Chronograf would log in.
   */
  async v1LoginWorks(login: { user: string; password: string; db: string; rp: string }): Promise<boolean> {
    const query = new URLSearchParams({ db: login.db, rp: login.rp, q: 'SHOW MEASUREMENTS LIMIT 1' });
    const authorization = influxAuthorization({ api: 'v1', url: '', db: login.db, rp: login.rp, user: login.user, password: login.password });
    const response = await this.fetch(`/query?${query}`, { headers: { authorization } });
    await response.body?.cancel();
    if (response.status === 200) return true;
    if (response.status === 401) return false;
    throw new InfluxAdminError(`v1 query as ${login.user} on ${login.db}/${login.rp}: HTTP ${response.status}`, response.status);
  }

  private async call<T>(method: string, path: string, body?: unknown, notFoundIsEmpty = false): Promise<T | undefined> {
    const response = await this.fetch(path, {
      method,
      headers: { authorization: `Token ${this.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.ok) return text ? (JSON.parse(text) as T) : undefined;
    if (notFoundIsEmpty && response.status === 404) return undefined;
    const what = `${method} ${path.split('?')[0]}`;
    if (response.status === 401) {
      throw new InfluxAdminError(`InfluxDB at ${this.url} refused the token (HTTP 401 on ${what}): set TOWER_INFLUX_TOKEN or --influx-token-file to a valid operator or all-access token`, 401);
    }
    if (response.status === 403) {
      throw new InfluxAdminError(`the token may not ${what} (HTTP 403): use an operator or all-access token of the organization`, 403);
    }
    throw new InfluxAdminError(`${what} failed: HTTP ${response.status} ${serverMessage(text)}`, response.status);
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(new URL(path, this.url), { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new InfluxAdminError(`cannot reach InfluxDB at ${this.url} (${reason}): start it, or fix --influx-url`, 0);
    }
  }
}

function serverMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: string };
    if (body.message) return body.message;
  } catch {
    // not JSON: show the start of the text as it is
  }
  return text.slice(0, 200);
}
