// report.html and compare.html in headless Chromium, from a real run (a region outage with the
// drop-sync bug knob, so there are violations to show) and from a generated three-fault
// history. What a reader relies on: the page works offline, every chart is drawn, every fault
// is shaded, and the violation and threshold tables say what summary.json says.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../contracts/checks.ts';
import { compareRunDirs } from '../../reports/compare-dirs.ts';
import { renderReport } from '../../reports/render.ts';
import { type Browser, CHROMIUM, canvasInk, launchBrowser, type OpenedPage } from './browser.ts';
import { writeFixtureRun } from './fixture.ts';
import { regionOutageRun } from './real-run.ts';

interface SummaryLike {
  ok: boolean;
  valid: boolean;
  faults: { at: number | null }[];
  thresholds: { metric: string; expression: string; ok: boolean }[];
  consistency: Record<string, unknown>;
}

const root = mkdtempSync(join(tmpdir(), 'cq-browser-'));
let browser: Browser;

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

const readSummary = (dir: string): SummaryLike => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));

/** Every assertion the issue lists, against one report and its summary.json. */
async function expectFaithfulReport(
  opened: OpenedPage,
  summary: SummaryLike,
  screenshot: string,
): Promise<void> {
  const { page, requests, errors } = opened;
  await page.screenshot({ path: screenshot, fullPage: true });
  expect(errors).toEqual([]);
  expect(requests.length).toBeGreaterThan(0);
  expect(requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:'))).toEqual([]);

  const charts = await page.locator('.chart').count();
  const ink = await canvasInk(page);
  expect(ink.length).toBe(charts);
  expect(charts).toBeGreaterThanOrEqual(7);
  for (const canvas of ink) {
    expect(canvas.width).toBeGreaterThan(0);
    expect(canvas.inked).toBeGreaterThan(0);
  }

  const applied = summary.faults.filter((f) => f.at !== null).length;
  expect(await page.locator('#report').getAttribute('data-fault-windows')).toBe(String(applied));
  const perChart = await page
    .locator('[data-time-chart]')
    .evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.faultWindows));
  expect(perChart.length).toBeGreaterThanOrEqual(6);
  expect(perChart.every((n) => n === String(applied))).toBe(true);

  const rows = await page
    .locator('table.violations tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) => [(tr as HTMLElement).dataset.check, Number((tr as HTMLElement).dataset.count)]),
    );
  const expected = Object.keys(CHECKS)
    .filter((key) => typeof summary.consistency[key] === 'number')
    .map((key) => [key, summary.consistency[key]]);
  expect(rows).toEqual(expected);

  const thresholds = await page
    .locator('[data-threshold-row]')
    .evaluateAll((trs) =>
      trs.map((tr) => [(tr as HTMLElement).dataset.thresholdRow, (tr as HTMLElement).dataset.ok]),
    );
  expect(thresholds).toEqual(summary.thresholds.map((t) => [`${t.metric} ${t.expression}`, String(t.ok)]));

  const status = !summary.valid ? 'invalid' : summary.ok ? 'pass' : 'fail';
  expect(await page.locator('#verdict-badge').getAttribute('data-status')).toBe(status);
}

describe('report.html of a real run', () => {
  const dir = join(root, 'drop-sync');
  let summary: SummaryLike;

  beforeAll(async () => {
    const run = await regionOutageRun(dir, 7, ['drop-sync']);
    expect([0, 99], run.stderr).toContain(run.code);
    summary = readSummary(dir);
    // Re-rendered here so the test checks this build's page, whatever the runner wrote.
    await renderReport(dir);
  }, 170_000);

  it('works offline, draws every chart, shades every fault and matches summary.json', async () => {
    const opened = await browser.open(join(dir, 'report.html'));
    await expectFaithfulReport(opened, summary, '/tmp/chatquake-report-real.png');
    await opened.page.close();
  });

  it('moves every chart to a violation when its example link is clicked', async () => {
    const violations = Object.keys(CHECKS).reduce(
      (n, key) =>
        n + (typeof summary.consistency[key] === 'number' ? (summary.consistency[key] as number) : 0),
      0,
    );
    expect(violations, 'drop-sync during an outage should lose or skip messages').toBeGreaterThan(0);
    const { page, errors } = await browser.open(join(dir, 'report.html'));
    const link = page.locator('ol.examples a[data-t]').first();
    const t = await link.getAttribute('data-t');
    await link.click();
    expect(await page.locator('body').getAttribute('data-focus')).toBe(t);
    await page.locator('#region-select').selectOption({ index: 1 });
    await page.getByRole('button', { name: 'Reset zoom' }).click();
    expect(await page.locator('body').getAttribute('data-focus')).toBeNull();
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('report.html of a generated three-fault history', () => {
  it('shades each of the three faults in its own lane in every chart', async () => {
    const dir = join(root, 'fixture');
    writeFixtureRun(dir, { seed: 4, durationSeconds: 60, bugs: { loseAcked: 0.01 } });
    await renderReport(dir);
    const opened = await browser.open(join(dir, 'report.html'));
    await expectFaithfulReport(opened, readSummary(dir), '/tmp/chatquake-report-fixture.png');
    expect(await opened.page.locator('.lanes-legend > span').count()).toBe(3);
    await opened.page.close();
  });
});

describe('report.html of a quiet run with no summary.json', () => {
  it('draws every chart without errors and shades nothing', async () => {
    const dir = join(root, 'quiet');
    writeFixtureRun(dir, { seed: 3, durationSeconds: 30, faults: [], censoredUsers: 0 });
    rmSync(join(dir, 'summary.json'));
    await renderReport(dir);
    const { page, requests, errors } = await browser.open(join(dir, 'report.html'));
    expect(errors).toEqual([]);
    expect(requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:'))).toEqual([]);
    for (const canvas of await canvasInk(page)) expect(canvas.inked).toBeGreaterThan(0);
    expect(await page.locator('#report').getAttribute('data-fault-windows')).toBe('0');
    expect(await page.locator('#verdict-badge').getAttribute('data-status')).toBe('unknown');
    expect(await page.locator('#warnings').textContent()).toContain('summary.json is missing');
    await page.close();
  });
});

describe('compare.html', () => {
  it('works offline and draws both runs', async () => {
    const base = join(root, 'cmp-base');
    const cand = join(root, 'cmp-cand');
    writeFixtureRun(base, { seed: 1, durationSeconds: 40, faults: [] });
    writeFixtureRun(cand, { seed: 2, durationSeconds: 40, faults: [], bugs: { slowdown: 3 } });
    const { htmlPath, result } = await compareRunDirs(base, cand, { iterations: 300 });
    const { page, requests, errors } = await browser.open(htmlPath);
    await page.screenshot({ path: '/tmp/chatquake-compare.png', fullPage: true });
    expect(errors).toEqual([]);
    expect(requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:'))).toEqual([]);
    const ink = await canvasInk(page);
    expect(ink).toHaveLength(2);
    for (const canvas of ink) expect(canvas.inked).toBeGreaterThan(0);
    expect(await page.locator('#verdict-badge').getAttribute('data-regressed')).toBe(
      String(result.regressed),
    );
    expect(await page.locator('[data-measure]').count()).toBe(3);
    await page.close();
  });
});
