import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { type DecodeOptions, decodeMessage, type IncomingMessage, saneTime, spreadCorrectedTimes } from '../../src/consumer/pipeline/decode.js';
import { legacyTime, parseLegacyMessage } from '../../src/consumer/pipeline/legacy.js';
import { encodeSample, SCHEMA_VERSION, sampleHeaders } from '../../src/schema/sample.js';

const options: DecodeOptions = { measurement: 'labs', region: 'GIST', defaultHost: 'Labs', maxSkewMs: 5 * 60_000 };
const now = 1732512000000;
const message = (value: Buffer | null, extra: Partial<IncomingMessage> = {}): IncomingMessage => ({ key: null, value, timestamp: String(now), ...extra });
const towerMessage = (fields: Record<string, unknown>, time = now - 1000, host = 'pi-1') =>
  message(Buffer.from(encode({ v: SCHEMA_VERSION, host, time, fields })), { headers: sampleHeaders(), key: Buffer.from(host) });

test('a Tower sample becomes a point tagged with host and region at the sample time', () => {
  const decoded = decodeMessage(
    message(Buffer.from(encodeSample({ v: 1, host: 'pi-1', time: now - 1000, fields: { CPU_Usage: 5, memory: 100 } })), { headers: sampleHeaders() }),
    options,
  );
  assert.deepEqual(decoded, {
    kind: 'point',
    format: 'tower',
    rejected: [],
    clockCorrected: false,
    point: { measurement: 'labs', tags: { host: 'pi-1', region: 'GIST' }, fields: { CPU_Usage: 5, memory: 100 }, time: now - 1000 },
  });
});

test('a bad field in a Tower sample is rejected alone', () => {
  const decoded = decodeMessage(towerMessage({ CPU_Usage: 5, memory: 'lots' }), options);
  assert.equal(decoded.kind, 'point');
  if (decoded.kind !== 'point') return;
  assert.deepEqual(decoded.point.fields, { CPU_Usage: 5 });
  assert.deepEqual(
    decoded.rejected.map((r) => r.field),
    ['memory'],
  );
});

test("the lab's legacy JSON maps to the lab's field names, with numbers sent as strings", () => {
  const legacy = JSON.stringify({
    free_ram: '3391548',
    cpu_load: '0.06',
    tx_bytes: 10,
    rx_bytes: 20,
    tx_drops: 0,
    rx_drops: 1,
    tx_errors: 0,
    rx_errors: 2,
    disk_util: '41.5',
    time: now / 1000,
  });
  const decoded = decodeMessage(message(Buffer.from(legacy), { key: Buffer.from('raspberrypi') }), options);
  assert.equal(decoded.kind, 'point');
  if (decoded.kind !== 'point') return;
  assert.equal(decoded.format, 'legacy');
  assert.deepEqual(decoded.point, {
    measurement: 'labs',
    tags: { host: 'raspberrypi', region: 'GIST' },
    fields: { memory: 3391548, CPU_Usage: 0.06, tx: 10, rx: 20, tx_dropped: 0, rx_dropped: 1, txError: 0, rxError: 2, disk: 41.5 },
    time: now,
  });
});

test('a legacy message without a key is tagged with the default host', () => {
  const decoded = decodeMessage(message(Buffer.from('{"free_ram": 5}')), options);
  assert.equal(decoded.kind === 'point' && decoded.point.tags.host, 'Labs');
});

test('a legacy field that is not a number is rejected alone; the rest is kept', () => {
  const decoded = decodeMessage(message(Buffer.from('{"free_ram": "n/a", "cpu_load": "0.5"}')), options);
  assert.equal(decoded.kind, 'point');
  if (decoded.kind !== 'point') return;
  assert.deepEqual(decoded.point.fields, { CPU_Usage: 0.5 });
  assert.deepEqual(
    decoded.rejected.map((r) => r.field),
    ['free_ram'],
  );
});

test('messages that cannot become a point say why', () => {
  const cases: [IncomingMessage, RegExp][] = [
    [message(null), /empty/],
    [message(Buffer.from('{"free_ram": "x"}')), /no numeric field/],
    [message(Buffer.from('{not json')), /not JSON/],
    [message(Buffer.from('hello')), /neither a Tower sample nor a legacy/],
    [message(Buffer.from([0xc1]), { headers: sampleHeaders() }), /not msgpack/],
    [towerMessage({ CPU_Usage: 'x' }), /no usable field/],
    [message(Buffer.from('x'), { headers: { 'tower-encoding': 'avro' } }), /unknown encoding/],
  ];
  for (const [input, reason] of cases) {
    const decoded = decodeMessage(input, options);
    assert.equal(decoded.kind, 'invalid');
    if (decoded.kind === 'invalid') assert.match(decoded.reason, reason);
  }
});

test("the doctor's probe message is recognised and skipped", () => {
  assert.deepEqual(decodeMessage(message(Buffer.from('tower-agent doctor'), { headers: { 'tower-encoding': 'probe' } }), options), { kind: 'probe' });
});

test("a sample stamped far from the broker's time gets the broker's time and keeps its own as a field", () => {
  const decoded = decodeMessage(towerMessage({ CPU_Usage: 1 }, 0), options);
  assert.equal(decoded.kind, 'point');
  if (decoded.kind !== 'point') return;
  assert.equal(decoded.clockCorrected, true);
  assert.equal(decoded.point.time, now);
  assert.equal(decoded.point.fields.sample_time_ms, 0);
  assert.deepEqual(saneTime(now - 60_000, now, 300_000), { time: now - 60_000, clockCorrected: false });
  assert.deepEqual(saneTime(now + 301_000, now, 300_000), { time: now, clockCorrected: true });
});

test('legacy times in s, ms, µs, ns and ISO 8601 all become ms', () => {
  for (const value of [now / 1000, now, now * 1000, now * 1e6, String(now / 1000), new Date(now).toISOString()])
    assert.equal(legacyTime(value), now, String(value));
  assert.equal(legacyTime('yesterday'), undefined);
  assert.equal(parseLegacyMessage('{"cpu_load": 1, "time": "soon"}').rejected[0]?.field, 'time');
});

test('samples corrected to one broker time keep their own spacing instead of overwriting each other', () => {
  const spooled = [0, 1000, 2000].map((t) => decodeMessage(towerMessage({ CPU_Usage: t }, t), options));
  const spread = spreadCorrectedTimes(spooled);
  assert.deepEqual(
    spread.map((d) => (d.kind === 'point' ? d.point.time : undefined)),
    [now - 2000, now - 1000, now],
  );
  const onTime = decodeMessage(towerMessage({ CPU_Usage: 1 }, now - 500), options);
  assert.deepEqual(spreadCorrectedTimes([onTime]), [onTime]);
});
