import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSummary } from '../../contracts/summary.ts';
import { reportDataFromHistory } from '../../reports/data.ts';
import { renderReport, renderReportHtml } from '../../reports/render.ts';
import { generateFixture, writeFixtureRun } from './fixture.ts';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'cq-report-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const fixture = generateFixture({ seed: 3, durationSeconds: 40 });
const html = renderReportHtml(
  reportDataFromHistory(fixture.events, parseSummary(JSON.stringify(fixture.summary))),
);

function inlineScripts(page: string): { attrs: string; body: string }[] {
  return [...page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].map((m) => ({
    attrs: m[1] ?? '',
    body: m[2] ?? '',
  }));
}

describe('renderReportHtml', () => {
  it('allows exactly its own inline scripts and style by hash, and nothing from anywhere', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toMatch(/https?:/);
    const code = inlineScripts(html).filter((s) => !s.attrs.includes('application/json'));
    expect(code.length).toBe(3); // uPlot, common.js, report.js
    for (const s of code) {
      const hash = createHash('sha256').update(s.body, 'utf8').digest('base64');
      expect(csp).toContain(`'sha256-${hash}'`);
    }
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style, 'utf8').digest('base64')}'`);
  });

  it('loads nothing: no src or href to another document, no remote fonts', () => {
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+rel="stylesheet"/);
    expect(html).not.toMatch(/(src|href)="(?!data:|#)/);
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/);
  });

  it('keeps markup in run data inert', () => {
    const hostile = generateFixture({ seed: 3, durationSeconds: 10, faults: [] });
    const summary = { ...hostile.summary, scenario: '</script><script>alert(1)</script>' };
    const page = renderReportHtml(
      reportDataFromHistory(hostile.events, parseSummary(JSON.stringify(summary))),
    );
    expect(page).not.toContain('<script>alert(1)');
    const json = inlineScripts(page).find((s) => s.attrs.includes('id="report-data"'));
    expect(JSON.parse(json?.body ?? '{}').run.scenario).toBe(summary.scenario);
  });
});

describe('renderReport', () => {
  it('writes report.html into the run folder', async () => {
    const dir = tempDir();
    writeFixtureRun(dir, { seed: 2, durationSeconds: 20 });
    const path = await renderReport(dir);
    expect(path).toBe(join(dir, 'report.html'));
    expect(readFileSync(path, 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('still draws a run whose summary.json is broken, and says why', async () => {
    const dir = tempDir();
    writeFixtureRun(dir, { seed: 2, durationSeconds: 20 });
    writeFileSync(join(dir, 'summary.json'), '{"thresholds": "none"}');
    const path = await renderReport(dir);
    expect(readFileSync(path, 'utf8')).toContain('summary.json could not be used');
  });

  it('fails on a folder with no history, naming it', async () => {
    const dir = tempDir();
    await expect(renderReport(dir)).rejects.toThrow(/no history\.jsonl/);
  });

  it('keeps a 10-minute run under 5 MB', async () => {
    const dir = tempDir();
    writeFixtureRun(dir, { seed: 9, durationSeconds: 600, users: 60, ratePerSecond: 60 });
    const size = statSync(await renderReport(dir)).size;
    expect(size).toBeLessThan(5 * 1024 * 1024);
    // The bound comes from aggregation, not luck: most of the page is per-second series.
    expect(size).toBeGreaterThan(200 * 1024);
  }, 60_000);
});
