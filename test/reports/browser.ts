// Opens a generated page in Debian's Chromium (headless, fresh profile, no background traffic)
// and records what a reviewer of an offline report cares about: page errors, every request,
// CSP violations, and whether each chart's canvas has anything on it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface OpenedPage {
  page: Page;
  /** Every URL the page requested, the page itself included. */
  requests: string[];
  /** Uncaught exceptions and console errors. */
  errors: string[];
}

export interface Browser {
  open(file: string): Promise<OpenedPage>;
  /** Opens a served page (the game-day console); waits for its body's data-ready unless `ready` is false. */
  openUrl(url: string, ready?: boolean): Promise<OpenedPage>;
  close(): Promise<void>;
}

export async function launchBrowser(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'cq-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport,
  });
  const openAt = async (address: string, ready = true): Promise<OpenedPage> => {
    const page = await context.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    await page.goto(address);
    if (ready) await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    return { page, requests, errors };
  };
  return {
    open: (file) => openAt(`file://${file}`),
    openUrl: openAt,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Per canvas: its size and how many pixels are not fully transparent. */
export function canvasInk(page: Page): Promise<{ width: number; height: number; inked: number }[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('canvas')).map((canvas) => {
      const ctx = canvas.getContext('2d');
      if (ctx === null || canvas.width === 0 || canvas.height === 0) {
        return { width: canvas.width, height: canvas.height, inked: 0 };
      }
      const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let inked = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) inked++;
      return { width: canvas.width, height: canvas.height, inked };
    }),
  );
}
