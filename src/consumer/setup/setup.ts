import { type Bucket, InfluxAdmin } from '../../influx/admin.js';
import { InfluxMonitoring } from '../../influx/monitoring.js';
import { InfluxError } from '../../influx/request.js';
import { setUpAlerting } from './alerting.js';
import type { AlertingOptions } from './alertingPlan.js';
import { setUpDbrp } from './dbrp.js';
import { type DownsampleSettings, setUpDownsampling } from './downsample.js';
import { DOWNSAMPLE } from './downsamplePlan.js';
import { decideV1Auth, type SetupTarget, v1Permissions } from './setupPlan.js';
import { grantV1Read } from './v1Read.js';

/** InfluxDB's bucket of check statuses and notifications, one per organization. */
const MONITORING_BUCKET = '_monitoring';

export interface SetupOptions extends DownsampleSettings {
  /** InfluxDB base URL. Default http://localhost:8086. */
  url: string;
  /** Organization that must exist. Default GIST. */
  org: string;
  /** Bucket that must exist in org. Default Labs. */
  bucket: string;
  /** Operator or all-access token: it creates mappings and authorizations. */
  token: string;
  /** v1 database and retention policy mapped to the bucket. Default Labs/autogen. */
  db: string;
  rp: string;
  /** v1 user given read and write on the bucket. Default tower. */
  user: string;
  password: string;
  /** The checks, endpoint and rules of docs/alerting.md; undefined with --no-alerts. */
  alerting: AlertingOptions | undefined;
}

/** A step cannot be done without the operator's decision; the message says which. */
export class SetupError extends Error {
  override name = 'SetupError';
}

/**
 * The lab's InfluxDB init: finds org and bucket, creates the DBRP mapping
 * db/rp → bucket, the downsampling (setUpDownsampling) and the v1 user with
 * read and write on the bucket and read on the downsampled one, each only
 * if missing, and sets the user's password only if it does not work; then
 * the alerting checks and notifications (alerting.ts). Prints
 * one line per step; resolves to false after printing why a step failed.
 */
export async function runSetup(options: SetupOptions, out: (line: string) => void, fail: (line: string) => void): Promise<boolean> {
  try {
    await setUp(options, new InfluxAdmin(options.url, options.token), out);
    return true;
  } catch (err) {
    if (!(err instanceof SetupError || err instanceof InfluxError)) throw err;
    fail(err.message);
    return false;
  }
}

async function setUp(options: SetupOptions, admin: InfluxAdmin, out: (line: string) => void): Promise<void> {
  const { org: orgName, bucket: bucketName, db, rp, user } = options;
  const org = await admin.findOrg(orgName);
  if (!org) throw new SetupError(`organization "${orgName}" not found at ${options.url}: fix --influx-org (TOWER_INFLUX_ORG), or onboard InfluxDB with it`);
  const bucket = await admin.findBucket(org.id, bucketName);
  if (!bucket) {
    throw new SetupError(
      `bucket "${bucketName}" not found in organization ${orgName}: fix --influx-bucket (TOWER_INFLUX_BUCKET), or create it: influx bucket create --org ${orgName} --name ${bucketName}`,
    );
  }
  out(`bucket ${orgName}/${bucketName}: already present (ID ${bucket.id})`);
  const target: SetupTarget = { orgID: org.id, bucketID: bucket.id, bucket: bucketName, db, rp, user };

  await setUpDbrp(admin, target, { isDefault: true, orElse: ' or choose another --v1-db / --v1-rp' }, out);

  const downsampled = await setUpDownsampling(admin, options, org, bucket, out);
  // Chronograf's Tower dashboard shows the checks' statuses through the virtual mapping _monitoring/autogen.
  const monitoring = await admin.findBucket(org.id, MONITORING_BUCKET);
  if (!monitoring)
    throw new SetupError(`bucket ${MONITORING_BUCKET} not found in organization ${orgName}: InfluxDB makes it with every organization; check InfluxDB's log`);
  // A stored mapping: the v1 /query does not find the virtual one for a v1 user ("database not found").
  const monitoringDbrp = { orgID: org.id, bucketID: monitoring.id, bucket: MONITORING_BUCKET, db: MONITORING_BUCKET, rp: 'autogen', user };
  await setUpDbrp(admin, monitoringDbrp, { isDefault: true, orElse: ', then run setup again' }, out);
  const reads = [
    { bucket: downsampled, dbrp: { db, rp: DOWNSAMPLE.rp } },
    { bucket: monitoring, dbrp: { db: MONITORING_BUCKET, rp: 'autogen' } },
  ];
  const created = await setUpV1User(
    admin,
    options,
    target,
    reads.map((r) => r.bucket),
    out,
  );
  for (const { bucket: other, dbrp: otherDbrp } of reads) {
    if (created) out(`v1 user ${user} (read on ${other.name}): created`);
    else await grantV1Read(admin, options, other, otherDbrp, out);
  }
  await setUpAlerting(new InfluxMonitoring(options.url, options.token), org.id, options.alerting, out);
}

/** The v1 user with read and write on the bucket (and read on `reads`, when it is new); true when it was created. */
async function setUpV1User(admin: InfluxAdmin, options: SetupOptions, target: SetupTarget, reads: Bucket[], out: (line: string) => void): Promise<boolean> {
  const { bucket: bucketName, db, rp, user, password } = options;
  const userStep = `v1 user ${user} (read and write on ${bucketName})`;
  const login = { user, password, db, rp };
  const auth = decideV1Auth(await admin.listV1Authorizations(), target);
  if (auth.kind === 'unusable') {
    throw new SetupError(`${userStep}: exists (ID ${auth.auth.id}) but ${auth.reason}; fix it with influx v1 auth, or choose another --v1-user`);
  }
  if (auth.kind === 'check-password' && (await admin.v1LoginWorks(login))) {
    out(`${userStep}: already present`);
    return false;
  }
  const id =
    auth.kind === 'create'
      ? (
          await admin.createV1Authorization({
            orgID: target.orgID,
            token: user,
            description: `tower-sink setup: v1 user for ${db}/${rp}`,
            permissions: v1Permissions(target, reads),
          })
        ).id
      : auth.auth.id;
  await admin.setV1Password(id, password);
  if (!(await admin.v1LoginWorks(login)))
    throw new SetupError(`${userStep}: the v1 /query still refuses ${user} after its password was set; check InfluxDB's log`);
  out(`${userStep}: ${auth.kind === 'create' ? 'created' : 'updated (password set)'}`);
  return auth.kind === 'create';
}
