import type { Bucket, InfluxAdmin } from '../../influx/admin.js';
import { InfluxTasks } from '../../influx/tasks.js';
import { SetupError, type SetupOptions } from './setup.js';
import { decideV1Read } from './setupPlan.js';

/**
 * Gives the v1 user read on `bucket` besides its own, if it lacks it, and
 * checks that the v1 /query answers it on `dbrp` (the bucket's mapping).
 */
export async function grantV1Read(
  admin: InfluxAdmin,
  options: SetupOptions,
  bucket: Bucket,
  dbrp: { db: string; rp: string },
  out: (line: string) => void,
): Promise<void> {
  const step = `v1 user ${options.user} (read on ${bucket.name})`;
  const decision = decideV1Read(await admin.listV1Authorizations(), { orgID: bucket.orgID, bucketID: bucket.id, user: options.user });
  if (decision.kind === 'missing') throw new SetupError(`${step}: the v1 user is gone; run setup again`);
  if (decision.kind === 'present') {
    out(`${step}: already present`);
    return;
  }
  const { auth } = decision;
  await new InfluxTasks(admin).deleteV1Authorization(auth.id);
  const replaced = await admin.createV1Authorization({
    orgID: auth.orgID,
    token: auth.token,
    description: auth.description ?? `tower-sink setup: v1 user for ${options.db}`,
    permissions: decision.permissions,
  });
  await admin.setV1Password(replaced.id, options.password);
  const login = { user: options.user, password: options.password, ...dbrp };
  if (!(await admin.v1LoginWorks(login)))
    throw new SetupError(`${step}: the v1 /query refuses ${options.user} after its authorization was replaced; check InfluxDB's log`);
  out(`${step}: created (InfluxDB cannot add a permission to a v1 authorization: ID ${auth.id} replaced by ${replaced.id}, same password)`);
}
