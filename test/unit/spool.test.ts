import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Spool } from '../../src/agent/spool.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'tower-spool-'));
const record = (n: number) => new TextEncoder().encode(`sample-${n}`);
const text = (records: Uint8Array[]) => records.map((r) => new TextDecoder().decode(r));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

function drain(spool: Spool): string[] {
  const out: string[] = [];
  for (let batch = spool.peek(7); batch.records.length > 0; batch = spool.peek(7)) {
    out.push(...text(batch.records));
    spool.ack(batch.next);
  }
  return out;
}

test('records come out in the order they went in, across segments', () => {
  const spool = new Spool(tempDir(), { segmentBytes: 64 });
  spool.append(range(0, 50).map(record));
  assert.equal(spool.length, 50);
  assert.deepEqual(
    drain(spool),
    range(0, 50).map((n) => `sample-${n}`),
  );
  assert.equal(spool.length, 0);
});

test('a reopened spool keeps what was not acknowledged and nothing that was', () => {
  const dir = tempDir();
  const first = new Spool(dir, { segmentBytes: 64 });
  first.append(range(0, 20).map(record));
  const batch = first.peek(5);
  const sent = batch.records.length;
  assert.ok(sent > 0 && sent <= 5);
  first.ack(batch.next);
  const again = new Spool(dir, { segmentBytes: 64 });
  assert.equal(again.length, 20 - sent);
  assert.deepEqual(
    drain(again),
    range(sent, 20).map((n) => `sample-${n}`),
  );
  assert.equal(new Spool(dir).length, 0);
});

test('a torn record at the tail is cut off and later appends still read back', () => {
  const dir = tempDir();
  new Spool(dir).append([record(1), record(2), record(3)]);
  const segment = readdirSync(dir).find((name) => name.endsWith('.seg')) as string;
  appendFileSync(join(dir, segment), Buffer.from([42, 0, 0, 0, 1, 2, 3]));
  const spool = new Spool(dir);
  assert.equal(spool.length, 3);
  spool.append([record(4)]);
  assert.deepEqual(drain(spool), ['sample-1', 'sample-2', 'sample-3', 'sample-4']);
});

test('a full spool drops the oldest records, counts them, and keeps the newest in order', () => {
  const spool = new Spool(tempDir(), { maxBytes: 400, segmentBytes: 100 });
  spool.append(range(0, 100).map(record));
  assert.ok(spool.bytes <= 400, `spool holds ${spool.bytes} bytes`);
  assert.ok(spool.dropped > 0);
  assert.equal(spool.dropped + spool.length, 100);
  const kept = drain(spool);
  assert.deepEqual(
    kept,
    range(100 - kept.length, 100).map((n) => `sample-${n}`),
  );
});

test('SIGKILL loses nothing that append had returned from', async () => {
  const dir = tempDir();
  const spoolModule = new URL('../../src/agent/spool.ts', import.meta.url).href;
  const script = `
    const { Spool } = await import(${JSON.stringify(spoolModule)});
    const spool = new Spool(${JSON.stringify(dir)}, { segmentBytes: 4096 });
    for (let n = 0; n < 100000; n++) {
      spool.append([new TextEncoder().encode('sample-' + n)]);
      process.stdout.write(n + '\\n');
      await new Promise((resolve) => setImmediate(resolve));
    }
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let reported = -1;
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) reported = Number(line);
    if (reported >= 2000) child.kill('SIGKILL');
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await new Promise((resolve) => child.once('exit', resolve));
  clearTimeout(guard);
  assert.ok(reported >= 2000, `child stopped early after ${reported + 1} appends`);
  const kept = drain(new Spool(dir, { segmentBytes: 4096 }));
  assert.ok(kept.length >= reported + 1, `kept ${kept.length}, child had appended ${reported + 1}`);
  assert.deepEqual(
    kept,
    range(0, kept.length).map((n) => `sample-${n}`),
  );
});

test('an acknowledgement in the middle of a segment survives a reopen', () => {
  const dir = tempDir();
  const first = new Spool(dir);
  first.append(range(0, 10).map(record));
  first.ack(first.peek(3).next);
  const again = new Spool(dir);
  assert.equal(again.length, 7);
  assert.deepEqual(
    drain(again),
    range(3, 10).map((n) => `sample-${n}`),
  );
});

test('appending and sending one at a time keeps order and deletes sent segments', () => {
  const dir = tempDir();
  const spool = new Spool(dir, { segmentBytes: 100 });
  const sent: string[] = [];
  for (let n = 0; n < 60; n += 1) {
    spool.append([record(n)]);
    const batch = spool.peek(10);
    sent.push(...text(batch.records));
    spool.ack(batch.next);
  }
  assert.deepEqual(
    sent,
    range(0, 60).map((n) => `sample-${n}`),
  );
  assert.equal(spool.length, 0);
  assert.ok(readdirSync(dir).filter((name) => name.endsWith('.seg')).length <= 2);
});

test('a head position that is not a record boundary (a torn write) re-sends the segment rather than losing it', () => {
  const dir = tempDir();
  const spool = new Spool(dir);
  spool.append(range(0, 5).map(record));
  spool.ack(spool.peek(2).next);
  spool.close();
  const head = readdirSync(dir).find((name) => name === 'head') as string;
  const [seq] = readFileSync(join(dir, head), 'utf8').trim().split(' ');
  writeFileSync(join(dir, head), `${seq} 3\n`);
  assert.deepEqual(
    drain(new Spool(dir)),
    range(0, 5).map((n) => `sample-${n}`),
  );
});
