import type { Bucket, DbrpMapping, Permission, V1Authorization } from '../../influx/admin.js';

/** What setup wants: db/rp of the v1 user mapped to one bucket. */
export interface SetupTarget {
  orgID: string;
  bucketID: string;
  bucket: string;
  db: string;
  rp: string;
  user: string;
}

export type DbrpDecision = { kind: 'create' } | { kind: 'present'; mapping: DbrpMapping } | { kind: 'conflict'; mapping: DbrpMapping };

/**
 * Whether the DBRP mapping db/rp → bucket must be created. Only stored
 * mappings count: the virtual one InfluxDB derives from a bucket named like
 * the database is neither listed by `influx v1 dbrp list` nor guaranteed to
 * stay. A stored mapping for db/rp to another bucket is a conflict for the
 * operator to resolve, never silently repointed.
 */
export function decideDbrp(existing: readonly DbrpMapping[], want: SetupTarget): DbrpDecision {
  const stored = existing.filter((m) => !m.virtual && m.orgID === want.orgID && m.database === want.db && m.retention_policy === want.rp);
  const same = stored.find((m) => m.bucketID === want.bucketID);
  if (same) return { kind: 'present', mapping: same };
  const other = stored[0];
  return other ? { kind: 'conflict', mapping: other } : { kind: 'create' };
}

export type V1AuthDecision =
  | { kind: 'create' }
  /** It exists and may read and write the bucket; only its password is left to check. */
  | { kind: 'check-password'; auth: V1Authorization }
  | { kind: 'unusable'; auth: V1Authorization; reason: string };

/**
 * Whether the v1 user must be created, or whether the one that exists can
 * serve: active, in the organization, with read and write on the bucket.
 * An unusable one is reported, not changed: it may serve someone else.
 */
export function decideV1Auth(existing: readonly V1Authorization[], want: SetupTarget): V1AuthDecision {
  const auth = existing.find((a) => a.token === want.user);
  if (!auth) return { kind: 'create' };
  if (auth.orgID !== want.orgID) return { kind: 'unusable', auth, reason: `it belongs to another organization (ID ${auth.orgID})` };
  if (auth.status !== 'active') return { kind: 'unusable', auth, reason: `it is ${auth.status}` };
  const missing = (['read', 'write'] as const).filter((action) => !auth.permissions.some((p) => p.action === action && grantsBucket(p, want)));
  if (missing.length > 0) return { kind: 'unusable', auth, reason: `it lacks ${missing.join(' and ')} permission on bucket ${want.bucket}` };
  return { kind: 'check-password', auth };
}

/** A permission on this bucket, or on all buckets of its organization (or of every one). */
export function grantsBucket(permission: Permission, want: Pick<SetupTarget, 'orgID' | 'bucketID'>): boolean {
  const r = permission.resource;
  if (r.type !== 'buckets') return false;
  if (r.id !== undefined) return r.id === want.bucketID;
  return r.orgID === undefined || r.orgID === want.orgID;
}

/** The permissions setup gives a new v1 user: read and write on the bucket, and read on `reads`. */
export function v1Permissions(want: SetupTarget, reads: readonly Bucket[] = []): Permission[] {
  return [
    ...(['read', 'write'] as const).map((action) => ({ action, resource: { type: 'buckets', id: want.bucketID, orgID: want.orgID } })),
    ...reads.map((b) => ({ action: 'read' as const, resource: { type: 'buckets', id: b.id, orgID: b.orgID } })),
  ];
}

export type V1ReadDecision =
  | { kind: 'present' }
  /** InfluxDB cannot add a permission to a v1 authorization: it is replaced by one with these. */
  | { kind: 'add'; auth: V1Authorization; permissions: Permission[] }
  | { kind: 'missing' };

/** Whether the v1 user may read a bucket besides its own (the downsampled one, _monitoring), and the permissions it needs if not. */
export function decideV1Read(existing: readonly V1Authorization[], want: { orgID: string; bucketID: string; user: string }): V1ReadDecision {
  const auth = existing.find((a) => a.token === want.user);
  if (!auth) return { kind: 'missing' };
  if (auth.permissions.some((p) => p.action === 'read' && grantsBucket(p, want))) return { kind: 'present' };
  const kept = auth.permissions.map(({ action, resource }) => ({ action, resource: withoutNames(resource) }));
  return { kind: 'add', auth, permissions: [...kept, { action: 'read', resource: { type: 'buckets', id: want.bucketID, orgID: want.orgID } }] };
}

/** A resource as it is given to InfluxDB: listings add the bucket's and organization's names, which InfluxDB fills in itself. */
function withoutNames(resource: Permission['resource']): Permission['resource'] {
  const { type, id, orgID } = resource;
  return { type, ...(id === undefined ? {} : { id }), ...(orgID === undefined ? {} : { orgID }) };
}
