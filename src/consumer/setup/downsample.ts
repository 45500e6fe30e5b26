import type { Bucket, InfluxAdmin, Org } from '../../influx/admin.js';
import { InfluxTasks } from '../../influx/tasks.js';
import { setUpDbrp } from './dbrp.js';
import { DOWNSAMPLE, decideRetention, decideTask, downsampleFlux, downsampleNames, formatRetention, retentionOf } from './downsamplePlan.js';
import { SetupError, type SetupOptions } from './setup.js';

/** The settings of setup's retention and downsampling steps. */
export interface DownsampleSettings {
  /** The measurement the sink writes, the one downsampled. Default labs. */
  measurement: string;
  /** Retention to give the raw bucket, in seconds (0: forever); unset, it is left as it is. */
  rawRetention?: number;
  /** Retention to give the downsampled bucket; unset, it is created with DOWNSAMPLE.retentionSeconds and then left as it is. */
  downsampledRetention?: number;
}

/**
 * Retention and downsampling: sets the raw bucket's retention when asked to,
 * then makes the bucket `<bucket>_1m`, the task that fills it and the DBRP
 * mapping `<db>/1m` → it, each only if missing (the task's script is put
 * back when it differs). One line per step; resolves to the downsampled
 * bucket, which the v1 user is then given read on (grantV1Read).
 */
export async function setUpDownsampling(admin: InfluxAdmin, options: SetupOptions, org: Org, raw: Bucket, out: (line: string) => void): Promise<Bucket> {
  const tasks = new InfluxTasks(admin);
  const names = downsampleNames(raw.name, options.measurement);
  if (options.rawRetention !== undefined) await setRetention(tasks, `${options.org}/${raw.name}`, raw, options.rawRetention, out);

  let bucket = await admin.findBucket(org.id, names.bucket);
  if (bucket) {
    out(`bucket ${options.org}/${names.bucket}: already present (ID ${bucket.id})`);
    if (options.downsampledRetention !== undefined) await setRetention(tasks, `${options.org}/${names.bucket}`, bucket, options.downsampledRetention, out);
  } else {
    const retentionSeconds = options.downsampledRetention ?? DOWNSAMPLE.retentionSeconds;
    const description = `1-minute means of ${names.measurement} in ${raw.name}, written by the task "${names.task}" (tower-sink setup)`;
    bucket = await tasks.createBucket({ orgID: org.id, name: names.bucket, description, retentionSeconds });
    out(`bucket ${options.org}/${names.bucket}: created (ID ${bucket.id}, retention ${formatRetention(retentionOf(bucket))})`);
  }

  const taskStep = `task "${names.task}" (every ${DOWNSAMPLE.every}, offset ${DOWNSAMPLE.offset})`;
  const flux = downsampleFlux(names);
  const task = decideTask(await tasks.findTasks(org.id, names.task), flux);
  if (task.kind === 'conflict') {
    const ids = task.tasks.map((t) => t.id).join(', ');
    throw new SetupError(
      `${taskStep}: ${task.tasks.length} tasks have that name (IDs ${ids}); delete all but one (influx task delete --id ID) and run setup again`,
    );
  }
  if (task.kind === 'create') {
    const created = await tasks.createTask(org.id, flux, `Fills ${names.bucket} from ${raw.name}; tower-sink setup puts its script back when it differs`);
    out(`${taskStep}: created (ID ${created.id})`);
  } else {
    if (task.kind === 'update') await tasks.updateTaskFlux(task.task.id, flux);
    const inactive = task.task.status === 'active' ? '' : `, inactive: enable it with influx task update --id ${task.task.id} --status active`;
    const done = task.kind === 'update' ? `updated (ID ${task.task.id}, its script differed${inactive})` : `already present (ID ${task.task.id}${inactive})`;
    out(`${taskStep}: ${done}`);
  }

  const target = { orgID: org.id, bucketID: bucket.id, bucket: names.bucket, db: options.db, rp: DOWNSAMPLE.rp, user: options.user };
  // Not the default: InfluxQL without a retention policy keeps reading the raw bucket.
  await setUpDbrp(admin, target, { isDefault: false, orElse: ' or choose another --v1-db' }, out);
  return bucket;
}

/**
 * Read on the downsampled bucket for the v1 user, which setup has made sure
 * of, with options.password working. InfluxDB cannot change the permissions
 * of a v1 authorization, so one without the read is replaced: deleted, made
 * again with the same name, description and permissions plus the read, and
 * given the same password.
 */

async function setRetention(tasks: InfluxTasks, name: string, bucket: Bucket, seconds: number, out: (line: string) => void): Promise<void> {
  const step = `bucket ${name} retention ${formatRetention(seconds)}`;
  const decision = decideRetention(bucket, seconds);
  if (decision.kind === 'present') {
    out(`${step}: already present`);
    return;
  }
  await tasks.setBucketRetention(bucket.id, seconds, decision.shardGroupSeconds);
  const shorter = seconds !== 0 && (decision.fromSeconds === 0 || seconds < decision.fromSeconds);
  out(`${step}: updated (was ${formatRetention(decision.fromSeconds)}${shorter ? `; points older than ${formatRetention(seconds)} are deleted` : ''})`);
}
