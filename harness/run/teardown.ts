// The end of a run, whatever ended it (success, an error, a signal, a threshold): why it
// stopped goes into the record, faults heal, run_end closes the history, and the topology
// stops. Each step runs only for what was started.
import { Interrupted, type RunState, wall } from './state.ts';

/** Makes `abort` follow the caller's signal; returns the function that stops following it. */
export function followSignal(abort: AbortController, signal: AbortSignal | undefined): () => void {
  const onOuterAbort = () => abort.abort(signal?.reason);
  if (signal?.aborted) abort.abort(signal.reason);
  signal?.addEventListener('abort', onOuterAbort, { once: true });
  return () => signal?.removeEventListener('abort', onOuterAbort);
}

/** Records an error that ended the run; an abort is reported by tearDown, from the signal. */
export function noteFailure(state: RunState, error: unknown): void {
  if (error instanceof Interrupted || state.abort.signal.aborted) return;
  state.record.errors.push(error instanceof Error ? error.message : String(error));
}

export async function tearDown(state: RunState): Promise<void> {
  const { record, abort, progress } = state;
  if (abort.signal.aborted && record.interrupted === null) {
    const reason = abort.signal.reason;
    record.interrupted = {
      reason: 'signal',
      detail: typeof reason === 'string' ? reason : reason instanceof Error ? reason.message : 'aborted',
    };
  }
  state.phase = 'stop';
  // Nodes added mid-run (scaleOut) belong in the record too.
  if (state.topology !== undefined) record.topology = { regions: state.topology.describe().regions };
  if (state.timeline !== undefined) {
    await state.timeline.healAll().catch(() => {});
    if (state.applied.length === 0) state.applied = await state.timeline.done;
  }
  if (state.recorder !== undefined) {
    try {
      state.recorder.append({
        type: 'run_end',
        t: wall(),
        ...(record.interrupted ? { reason: `interrupted: ${record.interrupted.detail}` } : {}),
      });
    } catch {
      // Closed already by an error path.
    }
    await state.recorder.close().catch(() => {});
  }
  progress.done();
  if (state.topology !== undefined) {
    progress.log('  stopping the topology');
    await state.topology.close();
  }
  await state.observer?.close();
}
