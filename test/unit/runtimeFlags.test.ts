import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

const runtimeFlags = new URL('../../src/agent/runtimeFlags.ts', import.meta.url).href;

/**
 * How often V8 optimized the function `hot` in a child that runs it in a loop,
 * with or without the agent's flags first. Only `hot` is counted: the test
 * loader's own functions are compiled before the flags can be set.
 */
function hotOptimizations(withAgentFlags: boolean): number {
  const script = `${withAgentFlags ? `await import(${JSON.stringify(runtimeFlags)});` : ''}
    function hot(n) { let s = 0; for (let i = 0; i < n; i += 1) s += i * i; return s; }
    let t = 0; for (let i = 0; i < 50000; i += 1) t += hot(100);
    console.log(t > 0);`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--trace-opt', '--input-type=module', '-e', script], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.startsWith('[completed optimizing') && line.includes('<JSFunction hot ')).length;
}

test('the agent turns V8 optimizing compiler off before its code runs', () => {
  assert.ok(hotOptimizations(false) > 0, 'the same loop is optimized without the agent flags');
  assert.equal(hotOptimizations(true), 0);
});
