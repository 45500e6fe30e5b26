import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFluxCsv } from '../../src/influx/flux.js';

test('Flux CSV: one header per table shape, empty lines between, quoted fields with commas, quotes and line breaks', () => {
  const text = [
    ',result,table,_time,_value,host',
    ',current,0,2026-12-03T11:56:00Z,"a, ""quoted"" message",pi1',
    ',current,1,2026-12-03T11:56:00Z,"two',
    'lines",pi2',
    '',
    ',result,table,_time,_value,host,rank',
    ',changed,0,2026-12-03T11:50:00Z,x,pi1,3',
    '',
    '',
  ].join('\r\n');
  assert.deepEqual(parseFluxCsv(text), [
    { result: 'current', table: '0', _time: '2026-12-03T11:56:00Z', _value: 'a, "quoted" message', host: 'pi1' },
    { result: 'current', table: '1', _time: '2026-12-03T11:56:00Z', _value: 'two\r\nlines', host: 'pi2' },
    { result: 'changed', table: '0', _time: '2026-12-03T11:50:00Z', _value: 'x', host: 'pi1', rank: '3' },
  ]);
  assert.deepEqual(parseFluxCsv(''), []);
});
