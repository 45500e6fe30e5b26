import { InfluxError, type InfluxMethod, influxRequest } from './request.js';

/** A DBRP mapping as GET /api/v2/dbrps lists it. */
export interface DbrpMapping {
  id: string;
  database: string;
  retention_policy: string;
  default: boolean;
  /** InfluxDB 2.x derives a virtual mapping `<bucket>/autogen` from every bucket; it is not stored. */
  virtual?: boolean;
  orgID: string;
  bucketID: string;
}

export interface Permission {
  action: 'read' | 'write';
  resource: { type: string; id?: string; orgID?: string };
}

/** A v1 (legacy) authorization as GET /private/legacy/authorizations lists it. */
export interface V1Authorization {
  id: string;
  /** The v1 user name. */
  token: string;
  description?: string;
  status: 'active' | 'inactive';
  orgID: string;
  permissions: Permission[];
}

export interface Org {
  id: string;
  name: string;
}

export interface Bucket {
  id: string;
  orgID: string;
  name: string;
  /** InfluxDB keeps one rule, `expire` after everySeconds (0: never). */
  retentionRules?: RetentionRule[];
}

export interface RetentionRule {
  type: 'expire';
  everySeconds: number;
  shardGroupDurationSeconds?: number;
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
 * every other failure is an InfluxError whose message says what to do next.
 */
export class InfluxAdmin {
  constructor(
    private readonly url: string,
    private readonly token: string,
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
    try {
      await influxRequest(this.url, { path: `/query?${query}`, credentials: { user: login.user, password: login.password } });
      return true;
    } catch (err) {
      if (err instanceof InfluxError && err.status === 401) return false;
      if (err instanceof InfluxError && err.status !== 0)
        throw new InfluxError(`v1 query as ${login.user} on ${login.db}/${login.rp}: HTTP ${err.status}`, err.status, err.body);
      throw err;
    }
  }

  /** One admin request with the operator token; the calls of src/influx/tasks.ts go through it too. */
  async call<T>(method: InfluxMethod, path: string, body?: unknown, notFoundIsEmpty = false): Promise<T | undefined> {
    try {
      const response = await influxRequest(this.url, {
        method,
        path,
        credentials: { token: this.token },
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return response.text ? (JSON.parse(response.text) as T) : undefined;
    } catch (err) {
      if (!(err instanceof InfluxError)) throw err;
      if (notFoundIsEmpty && err.status === 404) return undefined;
      throw withAdvice(err, `${method} ${path.split('?')[0]}`, this.url);
    }
  }
}

/** The failure of an admin call, with what the operator can do about it. */
function withAdvice(err: InfluxError, what: string, url: string): InfluxError {
  if (err.status === 401) {
    return new InfluxError(
      `InfluxDB at ${url} refused the token (HTTP 401 on ${what}): set TOWER_INFLUX_TOKEN or --influx-token-file to a valid operator or all-access token`,
      401,
      err.body,
    );
  }
  if (err.status === 403)
    return new InfluxError(`the token may not ${what} (HTTP 403): use an operator or all-access token of the organization`, 403, err.body);
  return err;
}
