import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferPool, LineBatch, LineBatchBuilder } from '../../src/influx/lineBatch.js';

const linesOf = (batch: LineBatch) => Array.from({ length: batch.count }, (_, i) => batch.line(i));

test('a batch is its lines, each ending in a newline; slices of slices keep their place', () => {
  const lines = ['a,host=pi x=1 1', 'b,host=pü y=2 2', 'c z=3 3', 'd w=4 4', 'e v=5 5'];
  const batch = LineBatch.of(lines);
  assert.equal(batch.bytes.toString(), `${lines.join('\n')}\n`);
  assert.deepEqual(linesOf(batch), lines);
  const tail = batch.slice(1, 5);
  assert.equal(tail.first, 1);
  assert.deepEqual(linesOf(tail), lines.slice(1));
  const inner = tail.slice(1, 3);
  assert.equal(inner.first, 2);
  assert.deepEqual(linesOf(inner), ['c z=3 3', 'd w=4 4']);
  assert.equal(inner.bytes.toString(), 'c z=3 3\nd w=4 4\n');
  assert.equal(batch.slice(2, 2).bytes.length, 0);
  assert.equal(batch.slice(4, 9).count, 1);
});

test('the builder grows past its capacity, writes integers as String() does, and undoes a half-written line', () => {
  const out = new LineBatchBuilder(4);
  const integers = [
    0,
    -0,
    7,
    -7,
    10,
    99,
    100,
    99_999_999,
    100_000_000,
    100_000_007,
    123456789,
    1_764_000_000_042,
    -(2 ** 40),
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
  ];
  for (const n of integers) {
    out.mark();
    out.putInteger(n);
    out.endLine();
  }
  out.mark();
  out.putAscii('half a line');
  out.undo();
  out.mark();
  out.putBytes(Buffer.from('xx-yy-zz'), 3, 5);
  out.putByte(0x3d);
  out.putAscii('1.5');
  out.endLine();
  assert.deepEqual(linesOf(out.build()), [...integers.map(String), 'yy=1.5']);
});

test('a released batch hands its buffer to the next builder of the pool', () => {
  const pool = new BufferPool(2);
  const first = new LineBatchBuilder(16 * 1024, pool);
  first.addLine('a x=1 1');
  const batch = first.build();
  const underlying = batch.bytes.buffer;
  batch.release();
  const second = new LineBatchBuilder(8 * 1024, pool);
  second.addLine('b y=2 2');
  const next = second.build();
  assert.equal(next.bytes.buffer, underlying, 'the same memory, reused');
  assert.equal(next.bytes.toString(), 'b y=2 2\n');
  assert.notEqual(new LineBatchBuilder(8 * 1024, pool).build().bytes.buffer, underlying, 'not handed out twice');
});
