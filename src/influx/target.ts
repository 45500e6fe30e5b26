/** Where points go: InfluxDB 2.x's native API or its v1-compatibility API. */
export type InfluxTarget =
  | { api: 'v2'; url: string; org: string; bucket: string; token: string }
  | { api: 'v1'; url: string; db: string; rp: string; user: string; password: string };

/** Who a request is sent as: a token (v2 API), or a v1 user and password. */
export type InfluxCredentials = { token: string } | { user: string; password: string };

/** An InfluxDB base URL and who to send requests as; every InfluxTarget is one. */
export type InfluxServer = { url: string } & InfluxCredentials;

/** The Authorization header for a token or for a v1 user (Basic auth). */
export function influxAuthorization(credentials: InfluxCredentials): string {
  if ('token' in credentials) return `Token ${credentials.token}`;
  return `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
}
