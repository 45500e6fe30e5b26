// npm run bench:storage [-- --hours H] [-- --pis N] [-- --seed S]
// What one Pi costs on the NUC's disk per day, raw and downsampled. A private
// InfluxDB 2.8 (support/influxd.ts; it snapshots and fully compacts a shard
// seconds after its last write, where the defaults wait 10 min and 4 h) is
// set up by the built `tower-sink setup`: bucket Labs, bucket Labs_1m, the
// downsampling task. Then --hours (default 24) of --pis simulated Pis' 1 Hz
// samples are written to Labs as the sink writes them (line protocol of
// src/consumer/pipeline/lineProtocol.ts, tags host and region, ms times),
// with values that move like a lab Pi's: CPU_Usage in steps of 0.25 % with
// load bursts, counters that only grow, disk refreshed once a minute, temp
// in 0.1 °C. The task is run through the API for every 10 minutes of that
// range (what its per-minute runs end up writing), checks that Labs_1m has
// every minute of every Pi and field, then the bench waits for
// InfluxDB to compact and reads the size of each bucket: its TSM files from
// /metrics (storage_tsm_files_disk_bytes), and its directories under the
// engine path (TSM files, index, series file). Figures are scaled to one
// Pi and one day. Needs the built dist/ (the npm script builds it) and
// influxd (scripts/services/influxdb.sh install); no other service.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { type Point, toLine } from '../src/consumer/pipeline/lineProtocol.js';
import { downsampleNames } from '../src/consumer/setup/downsamplePlan.js';
import { InfluxAdmin } from '../src/influx/admin.js';
import { influxQL } from '../src/influx/query.js';
import { InfluxTasks } from '../src/influx/tasks.js';
import { sleep } from '../support/harness.js';
import { prng } from '../support/hostile.js';
import { type PrivateInflux, startPrivateInflux } from '../support/influxd.js';
import { REPO_ROOT } from '../support/services.js';

const argv = yargs(hideBin(process.argv))
  .option('hours', { type: 'number', default: 24, describe: 'Hours of samples per Pi' })
  .option('pis', { type: 'number', default: 1, describe: 'Simulated Pis' })
  .option('seed', { type: 'number', default: 1, describe: 'Seed of the simulated values' })
  .strict()
  .parseSync();

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const STEP_MS = 10 * MINUTE_MS;
const BATCH = 5_000;

/** One Pi 4 (4 cores, 3.7 GiB) of the lab: what its agent would report each second. */
function simulatedPi(host: string, seed: number): (time: number) => Point {
  const random = prng(seed);
  const memTotal = 3_884_096;
  let available = 3_391_548;
  let load = 0.3;
  let rx = 193_847_261;
  let tx = 28_374_651;
  let rxDropped = 17;
  let txDropped = 4;
  let disk = 41.3;
  let temp = 47;
  let burstUntil = 0;
  let cpu = 0;
  let second = 0;
  return (time) => {
    second += 1;
    if (time > burstUntil && random() < 1 / 900) burstUntil = time + (20 + random() * 100) * 1000;
    const busy = time < burstUntil;
    // /proc/stat at USER_HZ 100 over 4 cores: 400 jiffies a second, so CPU_Usage moves in steps of 0.25.
    const jiffies = busy ? 260 + Math.floor(random() * 140) : Math.floor(-Math.log(1 - random()) * 12);
    cpu = Math.min(100, (jiffies / 400) * 100);
    available = Math.max(2_500_000, Math.min(3_600_000, available + Math.round((random() - 0.5) * 600) - (busy ? 300 : -120)));
    if (second % 5 === 0) load = load * 0.92 + (cpu / 25) * 0.08;
    rx += 400 + Math.floor(random() * 4_000) + (random() < 0.01 ? Math.floor(random() * 2_000_000) : 0);
    tx += 250 + Math.floor(random() * 1_500);
    if (random() < 0.01) rxDropped += 1;
    if (random() < 0.001) txDropped += 1;
    if (second % 60 === 0 && random() < 0.2) disk = Math.round((disk + 0.01) * 100) / 100;
    temp += ((busy ? 62 : 47) - temp) * 0.02 + (random() - 0.5) * 0.3;
    const fields = {
      CPU_Usage: Math.round(cpu * 100) / 100,
      memory: available,
      mem_used_percent: Math.round(((memTotal - available) / memTotal) * 10_000) / 100,
      load1: Math.round(load * 100) / 100,
      rx,
      tx,
      rx_dropped: rxDropped,
      tx_dropped: txDropped,
      rxError: 3,
      txError: 1,
      disk,
      temp: Math.round(temp * 10) / 10,
    };
    // The agent's timer fires a few ms after each second.
    return { measurement: 'labs', tags: { host, region: 'GIST' }, fields, time: time + 1 + Math.floor(random() * 8) };
  };
}

async function write(influx: PrivateInflux, lines: string[]): Promise<void> {
  const response = await fetch(new URL(`/api/v2/write?org=${influx.org}&bucket=${influx.bucket}&precision=ms`, influx.url), {
    method: 'POST',
    headers: { authorization: `Token ${influx.token}`, 'content-type': 'text/plain' },
    body: lines.join('\n'),
  });
  if (response.status !== 204) throw new Error(`write: HTTP ${response.status} ${await response.text()}`);
}

/** /metrics values of one metric, summed per bucket ID. */
async function perBucket(influx: PrivateInflux, metric: string): Promise<Map<string, number>> {
  const text = await (await fetch(new URL('/metrics', influx.url))).text();
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${metric}\\{[^}]*bucket="(\\w+)"[^}]*\\} (\\S+)$`).exec(line);
    if (match) sums.set(match[1] as string, (sums.get(match[1] as string) ?? 0) + Number(match[2]));
  }
  return sums;
}

function du(path: string): number {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.blocks * 512;
  return readdirSync(path).reduce((sum, name) => sum + du(join(path, name)), 0);
}

function filesUnder(path: string, suffix: string): number {
  try {
    return readdirSync(path, { recursive: true }).filter((name) => String(name).endsWith(suffix)).length;
  } catch {
    return 0;
  }
}

const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const MB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const influx = await startPrivateInflux({
    flags: ['--storage-cache-snapshot-write-cold-duration', '2s', '--storage-compact-full-write-cold-duration', '5s'],
  });
  try {
    const password = randomBytes(16).toString('hex');
    const setup = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/consumer/main.js'), 'setup'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', TOWER_INFLUX_URL: influx.url, TOWER_INFLUX_TOKEN: influx.token, TOWER_V1_PASSWORD: password },
    });
    if (setup.status !== 0) throw new Error(`tower-sink setup failed: ${setup.stderr}`);
    const admin = new InfluxAdmin(influx.url, influx.token);
    const tasks = new InfluxTasks(admin);
    const org = await admin.findOrg(influx.org);
    const names = downsampleNames(influx.bucket, 'labs');
    const raw = org && (await admin.findBucket(org.id, names.rawBucket));
    const downsampled = org && (await admin.findBucket(org.id, names.bucket));
    const [task] = org ? await tasks.findTasks(org.id, names.task) : [];
    if (!raw || !downsampled || !task) throw new Error('setup made no bucket Labs_1m or no task');

    // Whole hours that end at the last midnight (UTC): one shard group of each bucket, out of reach of the task's own runs.
    const end = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const start = end - argv.hours * HOUR_MS;
    const pis = Array.from({ length: argv.pis }, (_, i) => simulatedPi(`bench-pi-${i + 1}`, argv.seed + i));
    let lines: string[] = [];
    let points = 0;
    const writeStarted = Date.now();
    for (let time = start; time < end; time += 1000) {
      for (const pi of pis) lines.push(toLine(pi(time)));
      if (lines.length >= BATCH) {
        await write(influx, lines);
        points += lines.length;
        lines = [];
      }
    }
    if (lines.length > 0) await write(influx, lines);
    points += lines.length;
    console.log(`wrote ${points} points (12 fields each) of ${argv.pis} Pi(s) over ${argv.hours} h in ${((Date.now() - writeStarted) / 1000).toFixed(1)} s`);

    const runMs: number[] = [];
    for (let scheduled = start + STEP_MS; scheduled <= end; scheduled += STEP_MS) {
      const run = await tasks.waitForRun(await tasks.runTask(task.id, new Date(scheduled)));
      if (run.status !== 'success') throw new Error(`task run for ${new Date(scheduled).toISOString()}: ${run.status} ${JSON.stringify(run.log)}`);
      runMs.push(Date.parse(run.finishedAt ?? '') - Date.parse(run.startedAt ?? ''));
    }
    // Every minute of every Pi, with all 12 means and the max: a run that stops early still counts as a success.
    const counts = await influxQL({ url: influx.url, user: 'tower', password }, 'Labs', 'SELECT count(*) FROM "Labs"."1m"."labs"');
    const [columns, values] = [counts[0]?.columns ?? [], counts[0]?.values[0] ?? []];
    const wrong = columns.filter((c, i) => c !== 'time' && values[i] !== points / 60);
    if (columns.length !== 14 || wrong.length > 0)
      throw new Error(`Labs_1m lacks points: ${JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, values[i]])))}`);
    runMs.sort((a, b) => a - b);
    console.log(`ran the task ${runMs.length} times (10 minutes each): median ${runMs[runMs.length >> 1]} ms, max ${runMs.at(-1)} ms per run`);

    // Compacted: nothing left in a cache or WAL, one TSM file per shard, and the sizes still for 3 polls.
    const engine = influx.engineDir;
    const sizes = () => [raw.id, downsampled.id].map((id) => du(join(engine, 'data', id)) + du(join(engine, 'wal', id)));
    let last = '';
    let still = 0;
    const deadline = Date.now() + 10 * MINUTE_MS;
    while (still < 3) {
      if (Date.now() > deadline) throw new Error('InfluxDB did not finish compacting within 10 minutes');
      await sleep(2_000);
      const cache = [...(await perBucket(influx, 'storage_cache_inuse_bytes')).values()].reduce((a, b) => a + b, 0);
      const wal = [...(await perBucket(influx, 'storage_wal_size')).values()].reduce((a, b) => a + b, 0);
      const tsmFiles = [raw.id, downsampled.id].map((id) => filesUnder(join(engine, 'data', id), '.tsm'));
      const now = JSON.stringify([sizes(), tsmFiles]);
      const compacted = cache === 0 && wal === 0 && tsmFiles.every((n) => n === 1);
      still = compacted && now === last ? still + 1 : 0;
      last = now;
    }

    const tsm = await perBucket(influx, 'storage_tsm_files_disk_bytes');
    const perPiDay = (bytes: number) => bytes / argv.pis / (argv.hours / 24);
    const minutes = points / 60;
    const rows = [
      { bucket: names.rawBucket, id: raw.id, values: points * 12 },
      { bucket: names.bucket, id: downsampled.id, values: minutes * 13 },
    ].map((row) => {
      const tsmBytes = tsm.get(row.id) ?? 0;
      return { ...row, tsmBytes, day: perPiDay(tsmBytes), otherBytes: du(join(engine, 'data', row.id)) - tsmBytes };
    });
    const [rawRow, downRow] = rows as [(typeof rows)[0], (typeof rows)[0]];
    console.log('');
    console.log(`after full compaction (one TSM file per shard), scaled to one Pi and one day from ${argv.pis} Pi(s) × ${argv.hours} h:`);
    console.log('bucket       per Pi and day   bytes/value   index and series file (per series, not per day)');
    for (const r of rows) {
      console.log(
        `${r.bucket.padEnd(10)} ${kB(r.day).padStart(16)}   ${(r.tsmBytes / r.values).toFixed(2).padStart(11)}   ${kB(r.otherBytes).padStart(12)} for ${argv.pis} Pi(s)`,
      );
    }
    console.log('');
    console.log(`raw: ${MB(rawRow.day * 30)} per Pi for 30 d, ${MB(rawRow.day * 365)} per Pi and year kept forever`);
    console.log(`downsampled: ${MB(downRow.day * 730)} per Pi for 730 d (the default), ${(rawRow.day / downRow.day).toFixed(0)}× less than raw per day`);
  } finally {
    await influx.stop();
  }
}

await main();
