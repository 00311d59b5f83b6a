import { describe, expect, it } from 'vitest';
import { escapeXml, renderJunit } from '../../harness/results/junit.ts';

describe('renderJunit', () => {
  const xml = renderJunit({
    name: 'chatquake region-outage',
    timestamp: '2026-01-01T00:00:00.000Z',
    timeSeconds: 42.5,
    properties: { seed: '7' },
    cases: [
      { classname: 'thresholds', name: 'delivery_latency_ms - p(99)<800', ok: true },
      {
        classname: 'checks',
        name: 'acked-lost',
        ok: false,
        message: '3 acked messages lost',
        details: 'm1 in <dm1> & "dm2"',
      },
      { classname: 'checks', name: 'acked-lost', ok: true },
      {
        classname: 'thresholds',
        name: 'failover_seconds - p(99)<5',
        ok: true,
        skipped: true,
        message: 'no samples',
      },
    ],
    systemOut: 'run folder: runs/x',
  });

  it('counts tests, failures and skips on both levels', () => {
    expect(xml).toMatch(
      /<testsuites name="chatquake" tests="4" failures="1" errors="0" skipped="1" time="42.500">/,
    );
    expect(xml).toMatch(/<testsuite name="chatquake region-outage" tests="4" failures="1"/);
  });

  it('escapes text and keeps testcase names unique', () => {
    expect(xml).toContain(
      '<failure message="3 acked messages lost" type="checks">m1 in &lt;dm1&gt; &amp; &quot;dm2&quot;</failure>',
    );
    expect(xml).toContain('name="acked-lost (2)"');
    expect(xml).toContain('<skipped message="no samples"/>');
    expect(xml).toContain('<property name="seed" value="7"/>');
  });

  it('drops characters XML 1.0 forbids', () => {
    expect(escapeXml('a\u0000b\u001bc')).toBe('abc');
  });
});
