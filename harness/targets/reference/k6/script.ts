// The k6 script `chatquake k6` writes: plain ES-module JavaScript that k6 ≥ 1.6 runs as it is
// (`k6 run --out json=k6.json script.js`), made of the plan as data (between the PLAN_BEGIN and
// PLAN_END markers, so `chatquake ingest k6` reads back what was run), k6's options (one
// per-vu-iterations scenario, one VU per user, the thresholds k6 can judge itself) and the
// runtime (runtime.ts) that speaks the reference server's protocol.
import { type K6Plan, PLAN_BEGIN, PLAN_END } from '../../../k6/plan.ts';
import { type K6Thresholds, k6Thresholds } from '../../../k6/thresholds.ts';
import { RUNTIME, RUNTIME_MAIN } from './runtime.ts';

/** k6's last word after the drain: VUs still running this long after it are cut. */
export const MAX_DURATION_MARGIN_MS = 30_000;

/** A duration in k6's form: whole seconds. */
function k6Duration(ms: number): string {
  return `${Math.ceil(ms / 1000)}s`;
}

/** `options` of the script, as data. */
export function scriptOptions(plan: K6Plan, thresholds: K6Thresholds['thresholds']) {
  const maxDurationMs = plan.connectRampMs + 1000 + plan.durationMs + plan.drainMs + MAX_DURATION_MARGIN_MS;
  return {
    scenarios: {
      im: {
        executor: 'per-vu-iterations',
        vus: plan.users.length,
        iterations: 1,
        maxDuration: k6Duration(maxDurationMs),
      },
    },
    thresholds,
  };
}

function header(plan: K6Plan, left: K6Thresholds['leftOut']): string {
  const lines = [
    `// k6 script of chatquake scenario "${plan.scenario}" (seed ${plan.seed}, run ${plan.runId}), written by`,
    '// `chatquake k6`. Run it with `k6 run --out json=k6.json script.js` (k6 >= 1.6), on one machine or',
    '// several (`--execution-segment`), then judge every JSON output together with',
    '// `chatquake ingest k6 k6*.json --script script.js` (docs/K6.md).',
    '//',
    '// One VU per user, one long iteration each: it connects as the client SDK does, sends at the',
    '// intended times and records every history event as one sample of the counter im_history',
    '// (the event JSON in tag `e`). Custom metrics, tagged with region: im_delivery_ms, im_ack_ms,',
    '// im_ack_actual_ms, im_send_errors, im_failover_s, im_sent, im_acked, im_delivered,',
    '// im_reconnects. The plan below holds signed client tokens: treat the script as a secret.',
    '//',
    '// Judged by `chatquake ingest k6`, not by k6 (k6 cannot see them, or not across instances):',
    ...groupedByReason(left).map(([reason, keys]) => `//   ${keys.join(', ')}: ${reason}`),
  ];
  return lines.join('\n');
}

/** Keys left to ingest, one line per reason. */
function groupedByReason(left: K6Thresholds['leftOut']): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const { key, reason } of left) groups.set(reason, [...(groups.get(reason) ?? []), key]);
  return [...groups];
}

/** The whole script's text. */
export function referenceK6Script(plan: K6Plan): string {
  const mapped = k6Thresholds(plan.thresholds);
  const options = scriptOptions(plan, mapped.thresholds);
  return [
    header(plan, mapped.leftOut),
    "import { WebSocket } from 'k6/websockets';",
    "import { setTimeout, clearTimeout, setInterval, clearInterval } from 'k6/timers';",
    "import { Counter, Trend, Rate } from 'k6/metrics';",
    "import exec from 'k6/execution';",
    '',
    PLAN_BEGIN,
    `const PLAN = ${JSON.stringify(plan)};`,
    PLAN_END,
    '',
    `export const options = ${JSON.stringify(options, null, 2)};`,
    RUNTIME,
    RUNTIME_MAIN,
  ].join('\n');
}
