// The lab's last step, seen the way a student sees it: the Tower dashboard in
// Chronograf's real web UI, in a real browser (Debian's chromium driven by
// playwright-core), fed by tower-agent → Kafka → tower-sink → InfluxDB. Every
// cell must draw this host's series; then a busy loop must show as a rise of
// the CPU_Usage cell. Screenshots go to .tower/screenshots/.
//
// For pictures with more history (the ones in docs/), let it run longer:
//   TOWER_BASELINE_POINTS=240 TOWER_LOAD_HOLD_S=40 node --import tsx --test test/e2e/dashboard.test.ts
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page, Response } from 'playwright-core';
import { launchChromium } from '../../support/browser.js';
import { waitFor } from '../../support/harness.js';
import { REPO_ROOT } from '../../support/services.js';
import { dashboardUrl, readDashboard } from '../support/chronografResources.js';
import { INSTALL_TIMEOUT_MS, startLabStack } from './chronografHarness.js';

const SCREENSHOTS = join(REPO_ROOT, '.tower', 'screenshots');
const LOAD_TEST = join(REPO_ROOT, 'deploy', 'pi', 'load-test.sh');
/** Points of CPU_Usage the load must add over the baseline; 2 busy loops on 2 cores give ~+50 even on a busy machine. */
const MIN_RISE = 20;
/** CPU_Usage points (about a second each) the cell must show before the baseline is read. */
const BASELINE_POINTS = Number(process.env.TOWER_BASELINE_POINTS ?? 30);
/** Seconds between the rise and the screenshot of it; the chart redraws after its answer arrived. */
const LOAD_HOLD_S = Number(process.env.TOWER_LOAD_HOLD_S ?? 3);

interface Series {
  tags?: Record<string, string>;
  columns: string[];
  values: (number | string | null)[][];
}

/** One answer of Chronograf's proxy to the page: the query it ran and the series it drew from. */
interface ProxyAnswer {
  at: number;
  query: string;
  series: Series[];
  error?: string;
}

/** Records every answer of the source's proxy, as the page receives it. */
function recordProxyAnswers(page: Page): ProxyAnswer[] {
  const answers: ProxyAnswer[] = [];
  page.on('response', async (response: Response) => {
    if (!response.url().endsWith('/proxy') || response.request().method() !== 'POST') return;
    const { query } = response.request().postDataJSON() as { query: string };
    try {
      const body = (await response.json()) as { results?: { series?: Series[]; error?: string }[] };
      for (const result of body.results ?? []) answers.push({ at: Date.now(), query, series: result.series ?? [], error: result.error });
    } catch {
      answers.push({ at: Date.now(), query, series: [], error: `HTTP ${response.status()}: not JSON` });
    }
  });
  return answers;
}

/** The numbers of one column in the newest answer to a query that selects it, oldest first. */
function newestValues(answers: ProxyAnswer[], column: string, host: string): number[] {
  for (let n = answers.length - 1; n >= 0; n--) {
    const series = answers[n]?.series.find((s) => s.columns.includes(column) && (s.tags?.host ?? host) === host);
    if (!series) continue;
    const at = series.columns.indexOf(column);
    return series.values.map((row) => row[at]).filter((v): v is number => typeof v === 'number');
  }
  return [];
}

/** The cell whose header reads `name`. */
const cell = (page: Page, name: string) => page.locator('.dash-graph').filter({ has: page.locator('.dash-graph--name', { hasText: name }) });

function startLoad(seconds: number): ChildProcess {
  return spawn('bash', [LOAD_TEST, '--workers', '2', '--engine', 'sh', String(seconds)], { stdio: 'ignore' });
}

test('the Tower dashboard in a browser draws every cell from this host, and a busy loop shows as a rise of CPU_Usage', {
  timeout: INSTALL_TIMEOUT_MS + 10 * 60_000,
}, async () => {
  const stack = await startLabStack('browser');
  const browser = await launchChromium().catch(async (error) => {
    await stack.stop();
    throw error;
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 1600 } });
  mkdirSync(SCREENSHOTS, { recursive: true });
  let load: ChildProcess | undefined;
  try {
    const answers = recordProxyAnswers(page);
    await page.goto(dashboardUrl(stack.base, stack.host, { lower: 'now() - 5m', refresh: '5s' }));

    // The host picker, as a student opens it: the Variables bar shows :host: set to this host.
    await page.getByRole('button', { name: 'Variables' }).click();
    await page.locator('.template-control--dropdown', { hasText: stack.host }).waitFor({ timeout: 30_000 });

    // Every cell draws a chart (no "No Results", no error) whose legend names this host, and only this host.
    const dashboard = readDashboard();
    const [alertsCell, ...others] = dashboard.cells.filter((c) => c.type === 'table');
    assert.ok(alertsCell && others.length === 0, 'the dashboard has one table, of the alerts');
    const charts = dashboard.cells.filter((c) => c !== alertsCell);
    for (const { name } of charts) {
      const graph = cell(page, name);
      await graph
        .locator('.static-legend', { hasText: `host=${stack.host}` })
        .waitFor({ timeout: 60_000 })
        .catch(async () => assert.fail(`${name}: no chart of host=${stack.host} within 60 s; the cell shows: ${await graph.textContent()}`));
      await graph.locator('.dygraph-child canvas').first().waitFor({ state: 'attached', timeout: 10_000 });
      assert.equal(await graph.locator('.graph-empty').count(), 0, `${name}: the cell says ${await graph.locator('.graph-empty').allInnerTexts()}`);
      const hosts = new Set([...((await graph.locator('.static-legend').textContent()) ?? '').matchAll(/host=([\w.-]+)/g)].map((m) => m[1]));
      assert.deepEqual([...hosts], [stack.host], `${name}: the legend shows ${[...hosts]}`);
    }
    // The alerts table: a row per check that watches this host, with its level and message.
    const table = cell(page, alertsCell.name);
    for (const check of ['deadman', 'CPU_Usage', 'memory']) {
      await table
        .getByText(`${stack.alertPrefix} ${check}`)
        .first()
        .waitFor({ timeout: 90_000 })
        .catch(async () =>
          assert.fail(`${alertsCell.name}: no row of "${stack.alertPrefix} ${check}" within 90 s; the cell shows: ${await table.textContent()}`),
        );
    }
    // Columns in the dashboard's order: last status, check, level, message.
    const rows = (await table.textContent()) ?? '';
    for (const check of ['deadman', 'CPU_Usage', 'memory']) {
      assert.match(rows, new RegExp(`${stack.alertPrefix} ${check}(ok|warn|crit)${stack.host}: `), `the level and message of ${check}: ${rows}`);
    }
    assert.equal(await page.locator('.notification-error').count(), 0, `error banner: ${await page.locator('.notification-error').allInnerTexts()}`);

    // What the cells drew from: every proxy answer came without error, and each field charted has this host's points.
    for (const answer of answers) assert.equal(answer.error, undefined, `${answer.query}: ${answer.error}`);
    const columns = charts.flatMap((c) => c.queries.flatMap((q) => [...q.query.matchAll(/AS "([^"]+)"/g)].map((m) => m[1] as string)));
    for (const column of columns) {
      assert.ok(newestValues(answers, column, stack.host).length > 0, `no points of ${column} for ${stack.host} in what the page received`);
    }

    // The baseline is what the cell shows before the load, after the stack's own start-up has settled.
    const baseline = await waitFor(`${BASELINE_POINTS} points in the CPU_Usage cell`, Math.max(120, 3 * BASELINE_POINTS) * 1000, async () => {
      const points = newestValues(answers, 'CPU_Usage', stack.host);
      return points.length >= BASELINE_POINTS ? points.slice(-10) : undefined;
    });
    const before = baseline.reduce((a, b) => a + b, 0) / baseline.length;
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard.png') });
    // Two loops fill both cores, so even a machine that was busy before must come near 100 %.
    const target = Math.min(before + MIN_RISE, 95);
    load = startLoad(120 + LOAD_HOLD_S);
    const peak = await waitFor(
      `the CPU_Usage cell's last 5 points to reach ${target.toFixed(1)} % (${before.toFixed(1)} % before the load)`,
      120_000,
      async () => {
        const last = newestValues(answers, 'CPU_Usage', stack.host).slice(-5);
        return last.length === 5 && Math.min(...last) >= target ? Math.max(...last) : undefined;
      },
    );
    assert.ok(peak <= 100, `CPU_Usage ${peak} % is not a percentage`);
    await page.waitForTimeout(LOAD_HOLD_S * 1000);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-load.png') });
  } catch (error) {
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-failure.png') }).catch(() => {});
    throw error;
  } finally {
    load?.kill('SIGTERM');
    await browser.close();
    await stack.stop();
  }
});
