// One console session's model, fed by the run's history events: the phase, the faults as the
// history tells them (with their planned end and whether they came from the console), the
// traffic, the event log, and the result once the run is judged. `snapshot` joins it with the
// node readings and the live judge into the ConsoleState the page draws.
import type { ChaosTopology, ResolvedFault } from '../../chaos/index.ts';
import { CHECKS } from '../../contracts/checks.ts';
import type {
  ConsoleFault,
  ConsoleLogLine,
  ConsoleResult,
  ConsoleState,
  SessionPhase,
} from '../../contracts/console.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import type { PreparedRun } from '../scenario/prepare.ts';
import { consoleRegions, faultEffects, type NodeReading } from './nodes.ts';
import { createTrafficModel } from './traffic.ts';

const LOG_LINES = 200;

export interface SessionModel {
  observe(event: HistoryEvent): void;
  log(level: ConsoleLogLine['level'], text: string): void;
  setPhase(phase: SessionPhase): void;
  phase(): SessionPhase;
  /** Marks a fault as the console's (before its fault_start arrives). */
  markManual(fault: ResolvedFault): void;
  finish(result: ConsoleResult | null, phase: 'ended' | 'failed'): void;
  snapshot(inputs: SnapshotInputs): ConsoleState;
}

export interface SnapshotInputs {
  topology: ChaosTopology;
  readings: ReadonlyMap<string, NodeReading>;
  /** The live judge's counts, by check key. */
  violations: { duplicates: number; order: number };
  runDir: string;
}

export function createSessionModel(prepared: PreparedRun, maxDurationMs: number): SessionModel {
  const startedAt = Date.now();
  const traffic = createTrafficModel();
  const faults = new Map<string, ConsoleFault>();
  const planned = new Map<string, ResolvedFault>(prepared.faults.map((f) => [f.id, f]));
  const manual = new Set<string>();
  const log: ConsoleLogLine[] = [];
  let phase: SessionPhase = 'starting';
  let loadStartedAt: number | null = null;
  let result: ConsoleResult | null = null;

  const addLog = (level: ConsoleLogLine['level'], text: string, t = Date.now()): void => {
    log.push({ t, level, text });
    if (log.length > LOG_LINES) log.shift();
  };
  const endOf = (id: string, startedAt: number): number | null => {
    const f = planned.get(id);
    return f === undefined || f.until === null ? null : startedAt + (f.until - f.at);
  };

  const observePhase = (name: string, t: number): void => {
    if (name === 'load_start') {
      loadStartedAt = t;
      phase = 'load';
      addLog('info', 'load started: inject faults from the controls', t);
    } else if (name === 'load_stop') {
      phase = 'settling';
      addLog('info', 'load stopped: healing every fault, waiting for the regions to agree', t);
    } else if (name === 'final_reads') {
      phase = 'judging';
      addLog('info', 'reading every region’s final state, then the checkers judge the history', t);
    }
  };

  const observe = (e: HistoryEvent): void => {
    traffic.observe(e);
    if (e.type === 'phase') observePhase(e.name, e.t);
    else if (e.type === 'fault_start') {
      faults.set(e.faultId, {
        id: e.faultId,
        kind: e.kind,
        target: e.target,
        regions: [...e.regions],
        startedAt: e.t,
        // An instant fault (scaleOut) is done once applied: nothing of it is left to heal.
        stoppedAt: planned.get(e.faultId)?.instant === true ? e.t : null,
        endsAt: endOf(e.faultId, e.t),
        manual: manual.has(e.faultId),
      });
      addLog('warn', `fault ${e.faultId}: ${e.target}`, e.t);
    } else if (e.type === 'fault_stop') {
      const f = faults.get(e.faultId);
      if (f !== undefined) f.stoppedAt = e.t;
      addLog('info', `healed ${e.faultId}${f === undefined ? '' : `: ${f.target}`}`, e.t);
    } else if (e.type === 'reset') {
      addLog('error', `${e.user} was told conversation ${e.conv} restarts at ${e.seq}: ${e.reason}`, e.t);
    } else if (e.type === 'out_of_order') {
      addLog('error', `${e.user} got ${e.conv}#${e.seq} after #${e.afterSeq} on one connection`, e.t);
    }
  };

  return {
    observe,
    log: addLog,
    setPhase(next) {
      phase = next;
    },
    phase: () => phase,
    markManual(fault) {
      manual.add(fault.id);
      planned.set(fault.id, fault);
    },
    finish(final, end) {
      result = final;
      phase = end;
    },
    snapshot(inputs) {
      const t = traffic.snapshot();
      const active = [...faults.values()]
        .filter((f) => f.stoppedAt === null)
        .map((f) => planned.get(f.id))
        .filter((f): f is ResolvedFault => f !== undefined);
      const effects = faultEffects(active, inputs.topology);
      return {
        session: {
          scenario: prepared.scenario.name,
          target: prepared.scenario.target,
          seed: prepared.seed,
          runDir: inputs.runDir,
          phase,
          startedAt,
          loadStartedAt,
          now: Date.now(),
          maxDurationMs,
          result,
        },
        regions: consoleRegions(inputs.topology, effects, inputs.readings, t.clients),
        totals: t.totals,
        series: t.series,
        faults: [...faults.values()].map((f) => ({ ...f, regions: [...f.regions] })),
        failovers: t.failovers,
        consistency: [
          {
            name: CHECKS.duplicates.name,
            label: CHECKS.duplicates.label,
            count: inputs.violations.duplicates,
          },
          {
            name: CHECKS.orderViolations.name,
            label: CHECKS.orderViolations.label,
            count: inputs.violations.order,
          },
          { name: 'send_failed', label: 'Sends refused', count: t.totals.failed },
          { name: 'send_indeterminate', label: 'Sends without an answer', count: t.totals.indeterminate },
        ],
        log: log.slice(),
      };
    },
  };
}
