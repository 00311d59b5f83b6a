// The game-day console's page in headless Chromium against a scripted stand-in for the
// harness: it draws the regions, nodes, failovers and verdict the API reports and follows each
// new state; its controls send exactly the requests the API takes (JSON, the bearer token,
// heal and stop only when asked); and it never reaches outside its own origin.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, CHROMIUM, launchBrowser, type OpenedPage } from '../reports/browser.ts';
import { CATALOGUE, endedState, loadState, outageState } from './fixtures.ts';
import { type Recorded, type Stub, startStub } from './stub-server.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DIST = join(ROOT, 'console', 'dist');

let browser: Browser;
let stub: Stub;
let opened: OpenedPage[] = [];
/** Console errors a test expects (Chromium logs every 4xx answer as "Failed to load resource"). */
let expectedErrors: RegExp | null = null;

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true);
  execFileSync('npm', ['run', 'build:console'], { cwd: ROOT, stdio: 'pipe', timeout: 60_000 });
  expect(existsSync(join(DIST, 'index.html'))).toBe(true);
  browser = await launchBrowser({ width: 1400, height: 1000 });
});
afterAll(async () => {
  await browser?.close();
});

async function open(stubbed: Stub, query = '', ready = true): Promise<OpenedPage> {
  const page = await browser.openUrl(`${stubbed.url}${query}`, ready);
  opened.push(page);
  return page;
}

afterEach(async () => {
  const pages = opened;
  const allowed = expectedErrors;
  opened = [];
  expectedErrors = null;
  const origin = new URL(stub.url).origin;
  for (const { page } of pages) await page.close();
  await stub.close();
  for (const { requests, errors } of pages) {
    expect(requests.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    expect(errors.filter((e) => allowed === null || !allowed.test(e))).toEqual([]);
  }
});

const posts = (s: Stub, path: string): Recorded[] =>
  s.api().filter((r) => r.method !== 'GET' && r.url === path);

describe('the console page', () => {
  it('draws regions, nodes and counters from the state and follows the next state', async () => {
    stub = await startStub({ dist: DIST, state: loadState(), catalogue: CATALOGUE });
    const { page } = await open(stub);
    expect(await page.locator('[data-region]').count()).toBe(3);
    expect(await page.locator('[data-node]').count()).toBe(5);
    expect(await page.locator('[data-region="eu-west"]').getAttribute('data-state')).toBe('up');
    expect(await page.locator('[data-region="ap-south"]').getAttribute('data-state')).toBe('paused');
    expect(await page.locator('[data-node="ap-south/n1"] .faults').textContent()).toBe('pause-ap');
    expect(await page.locator('#failover-count').textContent()).toBe('0');
    expect(await page.locator('#h-elapsed').textContent()).toBe('1m00s / 10m00s');
    expect(await page.locator('#consistency tr.nonzero').count()).toBe(1);
    expect(await page.locator('#log li').first().textContent()).toContain('ap-south/n1 stopped answering');
    expect(await page.locator('#faults-active [data-fault="pause-ap"]').count()).toBe(1);
    expect(await page.locator('#faults-past [data-fault="latency-1"]').count()).toBe(1);
    expect(await page.evaluate(() => document.body.dataset.phase)).toBe('load');
    const inked = await page.evaluate(() =>
      Array.from(document.querySelectorAll('canvas')).map((c) => c.width > 0 && c.height > 0),
    );
    expect(inked).toEqual([true, true]);

    stub.setState(outageState());
    await page.waitForSelector('[data-region="eu-west"][data-state="down"]', { timeout: 5_000 });
    expect(await page.locator('[data-node="eu-west/n1"]').getAttribute('data-state')).toBe('down');
    expect(await page.locator('#failover-count').textContent()).toBe('40');
    expect(await page.locator('#faults-active [data-fault="outage-1"]').count()).toBe(1);
  });

  it('draws a session that has not started its load yet', async () => {
    const starting = loadState();
    starting.session.phase = 'starting';
    starting.session.loadStartedAt = null;
    starting.series = [];
    starting.faults = [];
    starting.log = [];
    stub = await startStub({ dist: DIST, state: starting, catalogue: CATALOGUE });
    const { page } = await open(stub);
    expect(await page.locator('#h-elapsed').textContent()).toBe('– / 10m00s');
    expect(await page.locator('#faults-active [data-fault]').count()).toBe(0);
    expect(await page.isDisabled('#heal-all')).toBe(true);
    expect(await page.isDisabled('#inject-submit')).toBe(false);
  });

  it('injects a region outage with exactly the spec the API takes', async () => {
    stub = await startStub({ dist: DIST, state: loadState(), catalogue: CATALOGUE });
    const { page } = await open(stub);
    await page.selectOption('#fault-kind', 'regionOutage');
    expect(await page.locator('#fault-description').textContent()).toContain('region outage');
    await page.selectOption('select[name="region"]', 'eu-west');
    await page.fill('input[name="duration"]', '30s');
    await page.click('#inject-submit');
    await expect.poll(() => posts(stub, '/api/faults').length).toBe(1);
    const [sent] = posts(stub, '/api/faults');
    expect(sent?.method).toBe('POST');
    expect(sent?.contentType).toBe('application/json');
    expect(sent?.body).toBe('{"fault":"regionOutage","region":"eu-west","duration":"30s"}');
    expect(await page.locator('#inject-error').textContent()).toBe('');
  });

  it('shows the server refusal and marks its field; presets fill the form', async () => {
    expectedErrors = /status of 400/;
    stub = await startStub({ dist: DIST, state: loadState(), catalogue: CATALOGUE });
    const { page } = await open(stub);
    await page.click('button[data-preset="slow-transatlantic"]');
    expect(await page.inputValue('#fault-kind')).toBe('latency');
    expect(await page.inputValue('select[name="link.from"]')).toBe('us-east');
    expect(await page.inputValue('select[name="pick"]')).toBe('percent');
    stub.answerNext('POST /api/faults', {
      status: 400,
      body: { error: 'latency: too much', field: 'latency' },
    });
    await page.click('#inject-submit');
    await page.waitForSelector('.field[data-field="latency"].invalid', { timeout: 5_000 });
    expect(await page.locator('#inject-error').textContent()).toBe('latency: too much');
    expect(JSON.parse(posts(stub, '/api/faults')[0]?.body ?? '{}')).toEqual({
      fault: 'latency',
      link: { from: 'us-east', to: 'eu-west' },
      pick: { percent: 50 },
      latency: 250,
      duration: '20s',
    });
  });

  it('heals one fault and all faults with DELETEs', async () => {
    stub = await startStub({ dist: DIST, state: loadState(), catalogue: CATALOGUE });
    const { page } = await open(stub);
    await page.click('[data-fault="pause-ap"] button[data-action="heal"]');
    await expect.poll(() => posts(stub, '/api/faults/pause-ap').length).toBe(1);
    await page.click('#heal-all');
    await expect.poll(() => posts(stub, '/api/faults').length).toBe(1);
    const deletes = stub.api().filter((r) => r.method !== 'GET');
    expect(deletes.map((r) => `${r.method} ${r.url} ${r.contentType}`)).toEqual([
      'DELETE /api/faults/pause-ap application/json',
      'DELETE /api/faults application/json',
    ]);
  });

  it('stops only after the confirmation, then shows the verdict and disables the controls', async () => {
    stub = await startStub({ dist: DIST, state: loadState(), catalogue: CATALOGUE });
    const { page } = await open(stub);
    expect(await page.isVisible('#stop-confirm')).toBe(false);
    await page.click('#stop');
    expect(await page.isVisible('#stop-confirm')).toBe(true);
    await page.waitForTimeout(200);
    expect(posts(stub, '/api/stop')).toEqual([]);
    await page.click('#stop-confirm');
    await expect.poll(() => posts(stub, '/api/stop').length).toBe(1);
    await expect.poll(() => page.isDisabled('#inject-submit')).toBe(true);
    expect(posts(stub, '/api/stop')[0]?.contentType).toBe('application/json');

    expect(await page.isVisible('#result')).toBe(false);
    stub.setState(endedState());
    await page.waitForSelector('body[data-phase="ended"]', { timeout: 5_000 });
    expect(await page.isVisible('#result')).toBe(true);
    expect(await page.locator('#result').getAttribute('data-passed')).toBe('false');
    expect(await page.locator('#result-report').textContent()).toBe(
      '/srv/runs/2026-12-07T10-00-00Z-game-day/report.html',
    );
    expect(await page.locator('#result-failures li').textContent()).toContain('3 lost messages');
    expect(await page.isDisabled('#inject-submit')).toBe(true);
    expect(await page.isDisabled('#stop')).toBe(true);
    expect(await page.isDisabled('#heal-all')).toBe(true);
  });

  it('falls back to polling /api/state when the event stream fails', async () => {
    expectedErrors = /status of 503|EventSource/;
    stub = await startStub({ dist: DIST, state: loadState(), catalogue: CATALOGUE, events: false });
    const { page } = await open(stub);
    await page.waitForSelector('#connection[data-state="polling"]', { timeout: 5_000 });
    stub.setState(outageState());
    await page.waitForSelector('[data-region="eu-west"][data-state="down"]', { timeout: 5_000 });
    expect(await page.locator('#failover-count').textContent()).toBe('40');
  });

  it('sends the bearer token on every /api request', async () => {
    stub = await startStub({ dist: DIST, state: loadState(), catalogue: CATALOGUE, token: 'abc' });
    const { page } = await open(stub, '?token=abc');
    await page.click('#heal-all');
    await expect.poll(() => posts(stub, '/api/faults').length).toBe(1);
    const api = stub.api();
    expect(api.map((r) => r.url.split('?')[0])).toEqual(
      expect.arrayContaining(['/api/catalogue', '/api/state', '/api/events', '/api/faults']),
    );
    for (const r of api) {
      if (r.url.startsWith('/api/events')) expect(r.url).toBe('/api/events?token=abc');
      else expect(r.authorization, r.url).toBe('Bearer abc');
    }
  });

  it('asks for the token on a 401 and retries with it', async () => {
    expectedErrors = /status of 401/;
    stub = await startStub({ dist: DIST, state: loadState(), catalogue: CATALOGUE, token: 'abc' });
    const { page } = await open(stub, '', false);
    await page.waitForSelector('#token-form:not([hidden])', { timeout: 5_000 });
    expect(await page.evaluate(() => document.body.dataset.ready)).toBeUndefined();
    await page.fill('#token-form input[name="token"]', 'abc');
    await page.click('#token-form [type="submit"]');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 5_000 });
    expect(await page.isVisible('#token-form')).toBe(false);
    expect(stub.api().at(-1)?.url).toMatch(/^\/api\/(state|events\?token=abc)$/);
    expect(
      stub
        .api()
        .filter((r) => r.url === '/api/state')
        .at(-1)?.authorization,
    ).toBe('Bearer abc');
  });
});
