// chatquake's side of the load-generator benchmarks: runLoad over the reference target, exactly
// as a run drives it (every send, ack and delivery in a real history file, the live judge
// counting duplicates and reordering on every event), at the plan's rate. A ramp stops itself,
// through runLoad's abort signal, at the first second whose backlog is past the plan's bound.
import { createLiveJudge } from '../../harness/run/judge.ts';
import { mergeThresholds, validateThresholds } from '../../harness/scenario/thresholds.ts';
import { createReferenceTarget } from '../../harness/targets/reference/target.ts';
import { createRecorder, type HistoryRecorder, runLoad } from '../../load/index.ts';
import { backlogExceeded, type DrivePlan, type DriveResult, ownCpu, planUsers, type Window } from './plan.ts';

/** Deliveries per send in a direct conversation: the other member's and the sender's own copy. */
const FANOUT = 2;

export async function runChatquake(plan: DrivePlan): Promise<DriveResult> {
  if (plan.historyPath === undefined) throw new Error('chatquake side: historyPath is required');
  const { users, conversations } = planUsers(plan);
  const target = createReferenceTarget({
    regions: [{ name: plan.region, endpoints: [plan.wsUrl], adminUrls: [plan.httpUrl] }],
    secret: plan.secret,
    adminToken: plan.adminToken,
  });
  const file = createRecorder(plan.historyPath);
  const live = createLiveJudge({ thresholds: validateThresholds(mergeThresholds({})) });
  const recorder: HistoryRecorder = {
    get path() {
      return file.path;
    },
    get count() {
      return file.count;
    },
    append(event) {
      file.append(event);
      live.add(event);
    },
    flush: () => file.flush(),
    close: () => file.close(),
  };
  const windows: Window[] = [];
  const abort = new AbortController();
  const constant = plan.startRate === plan.endRate;
  let loadStart = 0;
  try {
    const result = await runLoad({
      target,
      spec: {
        users: plan.connections,
        rate: constant
          ? plan.endRate
          : { startRate: plan.startRate, stages: [{ duration: plan.durationMs, target: plan.endRate }] },
        arrival: 'constant',
        bodyBytes: plan.bodyBytes,
        connectRampMs: Math.min(1000, plan.connections * 5),
      },
      workload: { users: users.map((id) => ({ id, region: plan.region })), conversations },
      durationMs: plan.durationMs,
      seed: 1,
      recorder,
      signal: abort.signal,
      drainMs: plan.drainMs,
      // A ramp is meant to pass saturation: its lateness is what it measures, not a reason to stop.
      maxLagMs: 60_000,
      maxEventLoopDelayMs: 60_000,
      onTick(stats) {
        if (loadStart === 0) loadStart = performance.now() - stats.elapsedMs;
        windows.push({ elapsedMs: stats.elapsedMs, sent: stats.sent, delivered: stats.delivered });
        if (backlogExceeded(plan, windows, FANOUT)) abort.abort();
      },
    });
    return {
      side: 'chatquake',
      sent: result.sent,
      acked: result.acked,
      delivered: result.delivered,
      loadMs: loadStart === 0 ? 0 : performance.now() - loadStart,
      cpuSeconds: ownCpu(),
      windows,
      historyEvents: file.count,
      violations: live.violations(),
      valid: result.valid,
    };
  } finally {
    await file.close();
  }
}
