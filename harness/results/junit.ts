// junit.xml: one <testsuite> per run, one <testcase> per threshold and per check, a <failure>
// carrying the actual value and the first examples. Kept to the subset that GitHub (dorny,
// mikepenz), GitLab and Jenkins all read: testsuites > testsuite > testcase > failure | skipped,
// with tests/failures/errors/skipped/time counts. Testcase names are unique per suite because
// GitLab drops duplicates.

export interface JunitCase {
  /** Groups cases in reports, e.g. "thresholds" or "checks". */
  classname: string;
  name: string;
  ok: boolean;
  /** Short reason shown in one line, e.g. "p(99)=912 ms, wanted <800". */
  message?: string;
  /** Longer text inside the failure element: the examples. */
  details?: string;
  /** Marks a case not judged (e.g. a metric with no samples). */
  skipped?: boolean;
  timeSeconds?: number;
}

export interface JunitSuite {
  name: string;
  timestamp: string;
  timeSeconds: number;
  hostname?: string;
  properties?: Record<string, string>;
  cases: JunitCase[];
  /** Printed into <system-out>, e.g. where the run folder is. */
  systemOut?: string;
}

/** XML 1.0 allows only these characters; others (control bytes from logs) are dropped. */
function clean(text: string): string {
  return text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '');
}

export function escapeXml(text: string): string {
  return clean(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function uniqueNames(cases: JunitCase[]): JunitCase[] {
  const seen = new Map<string, number>();
  return cases.map((c) => {
    const key = `${c.classname}\u0000${c.name}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    return n === 1 ? c : { ...c, name: `${c.name} (${n})` };
  });
}

export function renderJunit(suite: JunitSuite): string {
  const cases = uniqueNames(suite.cases);
  const failures = cases.filter((c) => !c.ok && !c.skipped).length;
  const skipped = cases.filter((c) => c.skipped).length;
  const time = suite.timeSeconds.toFixed(3);
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(
    `<testsuites name="chatquake" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}">`,
  );
  lines.push(
    `  <testsuite name="${escapeXml(suite.name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}" timestamp="${escapeXml(suite.timestamp)}"${suite.hostname ? ` hostname="${escapeXml(suite.hostname)}"` : ''}>`,
  );
  const properties = Object.entries(suite.properties ?? {});
  if (properties.length > 0) {
    lines.push('    <properties>');
    for (const [name, value] of properties) {
      lines.push(`      <property name="${escapeXml(name)}" value="${escapeXml(value)}"/>`);
    }
    lines.push('    </properties>');
  }
  for (const c of cases) {
    const open = `    <testcase classname="${escapeXml(c.classname)}" name="${escapeXml(c.name)}" time="${(c.timeSeconds ?? 0).toFixed(3)}"`;
    if (c.skipped) {
      lines.push(`${open}>`);
      lines.push(`      <skipped message="${escapeXml(c.message ?? 'not judged')}"/>`);
      lines.push('    </testcase>');
    } else if (c.ok) {
      lines.push(`${open}/>`);
    } else {
      lines.push(`${open}>`);
      const message = escapeXml(c.message ?? 'failed');
      const body = c.details !== undefined && c.details !== '' ? escapeXml(c.details) : message;
      lines.push(`      <failure message="${message}" type="${escapeXml(c.classname)}">${body}</failure>`);
      lines.push('    </testcase>');
    }
  }
  if (suite.systemOut !== undefined) lines.push(`    <system-out>${escapeXml(suite.systemOut)}</system-out>`);
  lines.push('  </testsuite>');
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
