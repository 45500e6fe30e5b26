import type { InfluxAdmin } from '../../influx/admin.js';
import { SetupError } from './setup.js';
import { decideDbrp, type SetupTarget } from './setupPlan.js';

/**
 * The stored DBRP mapping target.db/target.rp → target's bucket, unless it is
 * there; a mapping of that name to another bucket is reported, never
 * repointed. `orElse` ends the advice of that error.
 */
export async function setUpDbrp(
  admin: InfluxAdmin,
  target: SetupTarget,
  mapping: { isDefault: boolean; orElse: string },
  out: (line: string) => void,
): Promise<void> {
  const { db, rp } = target;
  const step = `DBRP mapping ${db}/${rp} → bucket ${target.bucket}`;
  const dbrp = decideDbrp(await admin.listDbrps(target.orgID), target);
  if (dbrp.kind === 'conflict') {
    throw new SetupError(
      `${step}: ${db}/${rp} is mapped to bucket ID ${dbrp.mapping.bucketID} already; setup does not repoint it. Delete that mapping (influx v1 dbrp delete --id ${dbrp.mapping.id})${mapping.orElse}`,
    );
  }
  if (dbrp.kind === 'create')
    await admin.createDbrp({ orgID: target.orgID, bucketID: target.bucketID, database: db, retention_policy: rp, default: mapping.isDefault });
  out(`${step}: ${dbrp.kind === 'create' ? 'created' : 'already present'}`);
}
