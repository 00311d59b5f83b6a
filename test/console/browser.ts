// Opens the console page over HTTP in Debian's Chromium, the way test/reports/browser.ts opens
// a report from disk (same binary, same quiet flags): a fresh profile, and a record of every
// request and every page error, for the console's browser test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM } from '../reports/browser.ts';

const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface OpenedUrl {
  page: Page;
  /** Every URL the page requested, the page itself included. */
  requests: string[];
  /** Uncaught exceptions and console errors. */
  errors: string[];
}

export interface ConsoleBrowser {
  /** Opens the URL; waits for body[data-ready] unless `ready` is false. */
  openUrl(url: string, ready?: boolean): Promise<OpenedUrl>;
  close(): Promise<void>;
}

export async function launchConsoleBrowser(): Promise<ConsoleBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'cq-console-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1400, height: 1000 },
  });
  return {
    async openUrl(url, ready = true) {
      const page = await context.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      await page.goto(url);
      if (ready) await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
      return { page, requests, errors };
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
