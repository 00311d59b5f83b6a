// The game-day console end to end, the way an SRE uses it: `chatquake up` with a token, the page
// in Debian's Chromium, a region outage injected from the controls, that region turning down and
// clients failing over, the heal, Stop, and the run folder with its report. The same session
// shows that a control request without the token is refused. The screenshot the README shows
// is taken here (CHATQUAKE_SCREENSHOT=docs/images/console.png writes it there).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeningPorts, pidAlive } from '../harness/ports.ts';
import { type Browser, launchBrowser } from '../reports/browser.ts';
import { type CliRun, servicesOf, startCli } from './helpers.ts';

const TOKEN = 'game-day-token-0123456789';
const base = mkdtempSync(join(tmpdir(), 'chatquake-up-'));
const runDir = join(base, 'session');
let browser: Browser | undefined;
let session: CliRun | undefined;

beforeAll(() => {
  // The page the session serves is the one built from console/ now.
  execFileSync('npm', ['run', '--silent', 'build:console'], { stdio: 'inherit' });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (session !== undefined && session.child.exitCode === null) session.child.kill('SIGKILL');
  rmSync(base, { recursive: true, force: true });
});

/** The console's address from the session's first line. */
async function consoleUrl(run: CliRun): Promise<string> {
  const line = /console → (http:\/\/\S+)/;
  await run.waitFor(line, 60_000);
  return line.exec(run.output())?.[1] as string;
}

describe('chatquake up: the game-day console', () => {
  it('injects a region outage from the page, sees it go down and clients fail over, heals, stops, and writes the report; a control without the token is refused', async () => {
    session = startCli(
      [
        'up',
        '--port',
        '0',
        '--token',
        TOKEN,
        '--seed',
        '7',
        '--users',
        '24',
        '--rate',
        '24',
        '--max-duration',
        '3m',
        '--linger',
        '1m',
        '--out',
        runDir,
      ],
      { timeoutMs: 240_000 },
    );
    const url = await consoleUrl(session);
    expect(url).toContain(`?token=${TOKEN}`);
    const origin = new URL(url).origin;

    // The token guards every control: none, or a wrong one, is refused and changes nothing.
    const bare = await fetch(`${origin}/api/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fault: 'regionOutage', region: 'eu-west' }),
    });
    expect(bare.status).toBe(401);
    const wrong = await fetch(`${origin}/api/stop`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-the-token-at-all' },
    });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${origin}/api/state`)).status).toBe(401);

    browser = await launchBrowser();
    const { page, requests, errors } = await browser.openUrl(url);
    await page.waitForSelector('body[data-phase="load"]', { timeout: 60_000 });
    await page.waitForSelector('[data-region="eu-west"][data-state="up"]');
    const failoversBefore = Number(await page.textContent('#failover-count'));
    // For the README's picture, a few seconds of traffic before the outage and during it.
    const wanted = process.env.CHATQUAKE_SCREENSHOT;
    const forPicture = wanted !== undefined && wanted !== '';
    if (forPicture) await page.waitForTimeout(10_000);

    await page.selectOption('#fault-kind', 'regionOutage');
    await page.selectOption('form#inject select[name="region"]', 'eu-west');
    await page.click('#inject-submit');
    await page.waitForSelector('[data-region="eu-west"][data-state="down"]', { timeout: 15_000 });
    await page.waitForFunction(
      (before) => Number(document.querySelector('#failover-count')?.textContent) > before,
      failoversBefore,
      { timeout: 30_000 },
    );
    // Let the charts draw a few seconds of the outage before the picture.
    await page.waitForTimeout(forPicture ? 8000 : 2000);
    const shot = join(base, 'console.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (forPicture) {
      mkdirSync(dirname(resolve(wanted)), { recursive: true });
      copyFileSync(shot, resolve(wanted));
    }

    const fault = page.locator('[data-fault] button[data-action="heal"]').first();
    await fault.click();
    await page.waitForSelector('[data-region="eu-west"][data-state="up"]', { timeout: 60_000 });

    await page.click('#stop');
    await page.click('#stop-confirm');
    await page.waitForSelector('#result', { timeout: 120_000 });
    const reportShown = await page.textContent('#result-report');
    expect(reportShown).toContain(join(runDir, 'report.html'));
    // The page links the report, which the console serves with the token the page carries.
    const report = await page.evaluate(async () => {
      const href = (document.getElementById('result-open') as HTMLAnchorElement).href;
      const response = await fetch(href);
      return { status: response.status, text: (await response.text()).slice(0, 200) };
    });
    expect(report.status).toBe(200);
    expect(report.text).toContain('<!doctype html>');

    // The run folder is the one `chatquake run` writes, with the outage in its plan and history.
    for (const file of [
      'summary.json',
      'junit.xml',
      'report.html',
      'history.jsonl',
      'faults.json',
      'run.json',
    ])
      expect(existsSync(join(runDir, file)), file).toBe(true);
    const faults = JSON.parse(readFileSync(join(runDir, 'faults.json'), 'utf8')) as {
      faults: { id: string; kind: string; appliedAt: number | null; revertedAt: number | null }[];
    };
    expect(faults.faults).toHaveLength(1);
    expect(faults.faults[0]).toMatchObject({ kind: 'regionOutage' });
    expect(faults.faults[0]?.appliedAt).toBeGreaterThan(0);
    expect(faults.faults[0]?.revertedAt).toBeGreaterThan(faults.faults[0]?.appliedAt ?? 0);
    const history = readFileSync(join(runDir, 'history.jsonl'), 'utf8');
    expect(history).toContain('"type":"fault_start"');
    expect(history).toContain('"type":"fault_stop"');
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as {
      failover: { failedOver: number };
    };
    expect(summary.failover.failedOver).toBeGreaterThan(0);

    // Everything the page asked for came from its own origin, and nothing broke in it.
    expect(requests.filter((r) => !r.startsWith(origin))).toEqual([]);
    expect(errors).toEqual([]);

    // Ctrl-C ends the linger; the session exits with the run's verdict and leaves nothing behind.
    session.child.kill('SIGINT');
    const result = await session.done;
    expect([0, 99], result.stdout + result.stderr).toContain(result.code);
    const { pids, ports } = servicesOf(runDir);
    expect(pids.filter(pidAlive)).toEqual([]);
    const listening = listeningPorts();
    expect(ports.filter((p) => listening.has(p))).toEqual([]);
    expect(listening.has(Number(new URL(url).port))).toBe(false);
  }, 240_000);
});
