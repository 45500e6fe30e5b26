import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineProtocolError, type Point, toLine } from '../../src/consumer/pipeline/lineProtocol.js';

const point: Point = { measurement: 'labs', tags: { host: 'pi-1' }, fields: { CPU_Usage: 12.5, memory: 3391548 }, time: 1732512000123 };

test('a point becomes one line: measurement, tags, fields, ms timestamp', () => {
  assert.equal(toLine(point), 'labs,host=pi-1 CPU_Usage=12.5,memory=3391548 1732512000123');
});

test('tags are sorted by key, as InfluxDB recommends', () => {
  assert.equal(toLine({ ...point, tags: { region: 'GIST', host: 'pi' } }), 'labs,host=pi,region=GIST CPU_Usage=12.5,memory=3391548 1732512000123');
});

test('commas, spaces and equals signs in names are escaped; quotes and other characters pass as they are', () => {
  const line = toLine({ measurement: 'my labs,x', tags: { host: 'pi 1,a=b"\'é' }, fields: { 'cpu load=': 1 }, time: 5 });
  assert.equal(line, 'my\\ labs\\,x,host=pi\\ 1\\,a\\=b"\'é cpu\\ load\\==1 5');
});

test('a backslash is refused: InfluxDB would read a trailing one as escaping the separator', () => {
  assert.throws(() => toLine({ ...point, tags: { host: 'pi\\' } }), LineProtocolError);
});

test('a host name with a line break cannot create a second point', () => {
  assert.throws(() => toLine({ ...point, tags: { host: 'pi\nlabs,host=evil CPU_Usage=0 1' } }), LineProtocolError);
});

test('NaN and Infinity are refused, not written', () => {
  assert.throws(() => toLine({ ...point, fields: { CPU_Usage: Number.NaN } }), LineProtocolError);
  assert.throws(() => toLine({ ...point, fields: { CPU_Usage: Number.POSITIVE_INFINITY } }), LineProtocolError);
});

test('a point with no fields or a fractional timestamp is refused', () => {
  assert.throws(() => toLine({ ...point, fields: {} }), LineProtocolError);
  assert.throws(() => toLine({ ...point, time: 1.5 }), LineProtocolError);
});
