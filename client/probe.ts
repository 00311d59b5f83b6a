// The probe home: while the client is connected outside its home region, a second connection
// to a home endpoint is opened now and then. This file opens it and gives up on it; moving over
// to it once home welcomes it is connecting.ts's promoteProbe.
import type { ClientContext } from './state.ts';

export function startProbe(ctx: ClientContext, t: number): void {
  const { config, state } = ctx;
  state.probeEndpoint = config.homeEndpoints[state.probeRound % config.homeEndpoints.length]!;
  state.probeRound++;
  state.nextProbeAt = undefined;
  state.probeDeadline = t + config.connectTimeoutMs;
  const token = config.token;
  const url = config.endpoints[state.probeEndpoint]!.url;
  const thisProbe = ++state.generation;
  state.probeGeneration = thisProbe;
  const open = (value: string): void => {
    if (state.probeGeneration !== thisProbe || state.phase !== 'connected') return;
    state.probe = ctx.open(url, value, thisProbe);
  };
  if (typeof token === 'string') open(token);
  else
    Promise.resolve()
      .then(token)
      .then(open, () => {
        if (state.probeGeneration !== thisProbe) return;
        probeFailed(ctx, config.now(), 'token function failed');
        ctx.schedule();
      });
}

/** The probe home did not get through; try again a full interval later. */
export function probeFailed(ctx: ClientContext, t: number, reason: string): void {
  const { config, state } = ctx;
  const failed = state.probe;
  state.probe = undefined;
  state.probeGeneration = 0;
  state.probeDeadline = undefined;
  failed?.abort(reason);
  if (state.phase === 'connected' && state.currentRegion !== config.homeRegion)
    state.nextProbeAt = t + state.probeIntervalMs;
}
