import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { decodeSample, encodeSample, type Sample, SCHEMA_VERSION, SchemaError, sampleHeaders } from '../../src/schema/sample.js';

const sample: Sample = { v: SCHEMA_VERSION, host: 'pi-1', time: 1732512000123, fields: { CPU_Usage: 12.5, memory: 3391548 } };

test('a sample survives encode and decode unchanged', () => {
  assert.deepEqual(decodeSample(encodeSample(sample)), sample);
});

test('headers name the encoding and schema version', () => {
  assert.deepEqual(sampleHeaders(), { 'tower-encoding': 'msgpack', 'tower-schema': '1' });
});

test('decodeSample rejects bytes that are not msgpack', () => {
  assert.throws(() => decodeSample(new Uint8Array([0xc1])), SchemaError);
});

test('decodeSample rejects other schema versions, missing hosts, bad times and bad fields', () => {
  const cases: unknown[] = [
    { ...sample, v: 2 },
    { ...sample, host: '' },
    { ...sample, time: -1 },
    { ...sample, time: 1.5 },
    { ...sample, fields: { CPU_Usage: 'high' } },
    { ...sample, fields: {} },
    [1, 2, 3],
  ];
  for (const raw of cases) assert.throws(() => decodeSample(encode(raw)), SchemaError, JSON.stringify(raw));
});

test('encodeSample refuses to send a non-finite value', () => {
  assert.throws(() => encodeSample({ ...sample, fields: { CPU_Usage: Number.NaN } }), SchemaError);
});
