import type { Bucket, InfluxAdmin, RetentionRule } from './admin.js';

/** An InfluxDB task as /api/v2/tasks shows it. */
export interface Task {
  id: string;
  orgID: string;
  name: string;
  status: 'active' | 'inactive';
  /** The script as it was stored, `option task = {…}` included. */
  flux: string;
  every?: string;
  offset?: string;
}

/** One run of a task: scheduled by InfluxDB, or asked for with runTask. */
export interface TaskRun {
  id: string;
  taskID: string;
  status: 'scheduled' | 'started' | 'success' | 'failed' | 'canceled';
  /** The run's now(): a task's `range(start: -…)` counts back from it. */
  scheduledFor: string;
  startedAt?: string;
  finishedAt?: string;
  log?: { time: string; message: string }[];
}

export interface NewBucket {
  orgID: string;
  name: string;
  description: string;
  /** 0 keeps the points forever. */
  retentionSeconds: number;
}

/**
 * The bucket, task and v1-authorization calls of the downsampling setup,
 * each one HTTP request through InfluxAdmin (same token, same advice on
 * failures).
 */
export class InfluxTasks {
  constructor(private readonly admin: InfluxAdmin) {}

  async createBucket(bucket: NewBucket): Promise<Bucket> {
    const body = { orgID: bucket.orgID, name: bucket.name, description: bucket.description, retentionRules: [expire(bucket.retentionSeconds)] };
    return (await this.admin.call<Bucket>('POST', '/api/v2/buckets', body)) as Bucket;
  }

  /**
   * Sets how long the bucket keeps points. InfluxDB refuses a retention
   * shorter than the bucket's shard group duration unless that shrinks too:
   * pass shardGroupSeconds then.
   */
  async setBucketRetention(bucketID: string, retentionSeconds: number, shardGroupSeconds?: number): Promise<Bucket> {
    const rule: RetentionRule = { ...expire(retentionSeconds), ...(shardGroupSeconds === undefined ? {} : { shardGroupDurationSeconds: shardGroupSeconds }) };
    return (await this.admin.call<Bucket>('PATCH', `/api/v2/buckets/${encodeURIComponent(bucketID)}`, { retentionRules: [rule] })) as Bucket;
  }

  /** The tasks of the organization with this name (InfluxDB does not keep names unique). */
  async findTasks(orgID: string, name: string): Promise<Task[]> {
    const body = await this.admin.call<{ tasks?: Task[] }>('GET', `/api/v2/tasks?${new URLSearchParams({ orgID, name, limit: '500' })}`);
    return (body?.tasks ?? []).filter((t) => t.name === name && t.orgID === orgID);
  }

  /** A new active task; InfluxDB reads its name and schedule from the script's `option task`. */
  async createTask(orgID: string, flux: string, description: string): Promise<Task> {
    return (await this.admin.call<Task>('POST', '/api/v2/tasks', { orgID, flux, description, status: 'active' })) as Task;
  }

  /** Replaces the task's script; its status and run history stay. */
  async updateTaskFlux(taskID: string, flux: string): Promise<Task> {
    return (await this.admin.call<Task>('PATCH', `/api/v2/tasks/${encodeURIComponent(taskID)}`, { flux })) as Task;
  }

  /**
   * Asks for one run now, outside the schedule. Its now() is scheduledFor
   * (default: the present); InfluxDB waits for a time in the future.
   */
  async runTask(taskID: string, scheduledFor?: Date): Promise<TaskRun> {
    const body = scheduledFor ? { scheduledFor: scheduledFor.toISOString().replace(/\.000Z$/, 'Z') } : {};
    return (await this.admin.call<TaskRun>('POST', `/api/v2/tasks/${encodeURIComponent(taskID)}/runs`, body)) as TaskRun;
  }

  async findRun(taskID: string, runID: string): Promise<TaskRun | undefined> {
    return this.admin.call<TaskRun>('GET', `/api/v2/tasks/${encodeURIComponent(taskID)}/runs/${encodeURIComponent(runID)}`, undefined, true);
  }

  /** Resolves to the finished run (success, failed or canceled), polling every pollMs. */
  async waitForRun(run: TaskRun, timeoutMs = 60_000, pollMs = 250): Promise<TaskRun> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = await this.findRun(run.taskID, run.id);
      if (now && (now.status === 'success' || now.status === 'failed' || now.status === 'canceled')) return now;
      if (Date.now() > deadline) throw new Error(`run ${run.id} of task ${run.taskID} is still ${now?.status ?? 'unknown'} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** InfluxDB cannot change a v1 authorization's permissions: setup replaces it, deleting this one. */
  async deleteV1Authorization(authID: string): Promise<void> {
    await this.admin.call('DELETE', `/private/legacy/authorizations/${encodeURIComponent(authID)}`);
  }
}

function expire(everySeconds: number): RetentionRule {
  return { type: 'expire', everySeconds };
}
