// Pins what the console's buttons do apart from HTTP (harness/console/controls.ts): every bad
// fault is refused with 400 and the field at fault, injecting before load or after the session
// closed is a 409, names default to m<n>-<kind> and a taken name is a 409, and heal / heal all
// act only on the faults still active. A real live timeline on recording backends runs behind
// a fake session, so an accepted fault is seen reaching the backends.
import { describe, expect, it } from 'vitest';
import { createLiveTimeline, type LiveTimeline } from '../../chaos/live.ts';
import type { ResolvedFault } from '../../chaos/timeline.ts';
import { ControlError, createControls } from '../../harness/console/controls.ts';
import { planLayout } from '../../harness/local/layout.ts';
import { chaosTopologyOfLayout } from '../../harness/scenario/prepare.ts';
import { createFakeBackends } from '../chaos/fixtures/fake-backends.ts';
import { createManualClock } from '../chaos/fixtures/manual-clock.ts';

const topology = chaosTopologyOfLayout(planLayout(['eu-west', 'us-east'], 1));
const ORIGIN = 5_000_000;

function setup(options: { loaded?: boolean } = {}) {
  const clock = createManualClock(ORIGIN);
  const backends = createFakeBackends(clock, ORIGIN);
  const live = createLiveTimeline({ backends, clock, startAt: ORIGIN });
  const planned: ResolvedFault[] = [];
  let timeline: LiveTimeline | undefined = options.loaded === false ? undefined : live;
  let closed: string | undefined;
  let stops = 0;
  const controls = createControls({
    topology,
    aliases: { '@busiest': 'us-east' },
    seed: 7,
    timeline: () => timeline,
    remainingMs: () => 600_000,
    closed: () => closed,
    plan: (f) => void planned.push(f),
    stop: () => void stops++,
  });
  return {
    clock,
    backends,
    live,
    controls,
    planned,
    load: () => {
      timeline = live;
    },
    close: (why: string) => {
      closed = why;
    },
    stops: () => stops,
  };
}

/** The ControlError a promise rejects with. */
async function refusal(promise: Promise<unknown>): Promise<ControlError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ControlError) return error;
    throw error;
  }
  throw new Error('expected a ControlError, but it resolved');
}

describe('console controls: inject', () => {
  it.each([
    ['a string', 'regionOutage'],
    ['null', null],
    ['an array', [{ fault: 'regionOutage', region: 'eu-west' }]],
    ['no body', undefined],
  ])('refuses %s as the body with 400', async (_what, body) => {
    const { controls, backends } = setup();
    const error = await refusal(controls.inject(body));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/JSON object/);
    expect(backends.calls).toEqual([]);
  });

  it.each([
    ['a given at', { fault: 'regionOutage', region: 'eu-west', at: '5s' }, 'at'],
    ['an unknown kind', { fault: 'meteorStrike', region: 'eu-west' }, 'fault'],
    ['no kind', { region: 'eu-west' }, 'fault'],
    ['a missing region', { fault: 'regionOutage' }, 'region'],
    ['an unknown region', { fault: 'regionOutage', region: 'eu-wst' }, 'region'],
    ['an unknown alias', { fault: 'regionOutage', region: '@quietest' }, 'region'],
    [
      'a link from an unknown region',
      { fault: 'latency', link: { from: 'mars', to: 'eu-west' }, latency: 50 },
      'link.from',
    ],
    [
      'a link whose from is not a string',
      { fault: 'latency', link: { from: 5, to: 'eu-west' }, latency: 50 },
      'link.from',
    ],
    ['a negative latency', { fault: 'latency', region: 'eu-west', latency: -1 }, 'latency'],
    ['an unknown node', { fault: 'nodeCrash', node: 'eu-west/n9' }, 'node'],
    ['a zero duration', { fault: 'nodePause', node: 'eu-west/n1', duration: '0s' }, 'duration'],
  ])('refuses %s with 400 naming the field', async (_what, body, field) => {
    const { controls, backends, planned } = setup();
    const error = await refusal(controls.inject(body));
    expect(error.status).toBe(400);
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    // The message names no scenario path: the page has no chaos[0].
    expect(error.message).not.toMatch(/chaos\[0\]/);
    expect(backends.calls).toEqual([]);
    expect(planned).toEqual([]);
  });

  it('refuses a field the kind does not have with 400, naming it in the message', async () => {
    const { controls, backends } = setup();
    const error = await refusal(controls.inject({ fault: 'regionOutage', region: 'eu-west', colour: 'red' }));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/"colour"/);
    expect(backends.calls).toEqual([]);
  });

  it('refuses with 409 before load has started, and accepts once it has', async () => {
    const { controls, backends, load } = setup({ loaded: false });
    const error = await refusal(controls.inject({ fault: 'regionOutage', region: 'eu-west' }));
    expect(error.status).toBe(409);
    expect(error.message).toMatch(/load has not started/);
    load();
    const answer = await controls.inject({ fault: 'regionOutage', region: 'eu-west' });
    expect(answer.id).toBe('m1-regionOutage');
    expect(backends.state.dead).toEqual(new Set(['eu-west/n1']));
  });

  it('refuses with 409 once the session is closed, with its reason', async () => {
    const { controls, backends, close } = setup();
    close('the session is stopping');
    const error = await refusal(controls.inject({ fault: 'regionOutage', region: 'eu-west' }));
    expect(error.status).toBe(409);
    expect(error.message).toBe('the session is stopping');
    expect(backends.calls).toEqual([]);
  });

  it('names faults m1-<kind>, m2-<kind>… and answers what it applied', async () => {
    const { controls, backends } = setup();
    const first = await controls.inject({ fault: 'regionOutage', region: '@busiest' });
    expect(first).toEqual({
      id: 'm1-regionOutage',
      kind: 'regionOutage',
      target: 'region us-east',
      regions: ['us-east'],
    });
    // A refused fault does not use up a number.
    await refusal(controls.inject({ fault: 'nodePause', node: 'nowhere/n1' }));
    const second = await controls.inject({ fault: 'nodePause', node: 'eu-west/n1', duration: '30s' });
    expect(second.id).toBe('m2-nodePause');
    expect(backends.state.paused).toEqual(new Set(['eu-west/n1']));
    expect(backends.state.dead).toEqual(new Set(['us-east/n1']));
  });

  it('keeps a given name and refuses it with 409 the second time', async () => {
    const { controls, live } = setup();
    const answer = await controls.inject({ fault: 'nodePause', node: 'eu-west/n1', name: 'freeze' });
    expect(answer.id).toBe('freeze');
    const error = await refusal(controls.inject({ fault: 'nodePause', node: 'us-east/n1', name: 'freeze' }));
    expect(error.status).toBe(409);
    expect(error.field).toBe('name');
    expect(live.all().map((f) => f.id)).toEqual(['freeze']);
  });

  it('never gives a default name that a named fault already took', async () => {
    const { controls, live } = setup();
    await controls.inject({ fault: 'nodePause', node: 'eu-west/n1', name: 'm2-nodePause' });
    // The user gave no name: a taken default is the console's doing, not a conflict of theirs.
    const answer = await controls.inject({ fault: 'nodePause', node: 'us-east/n1' });
    expect(answer.id).not.toBe('m2-nodePause');
    expect(live.active().map((f) => f.id)).toContain(answer.id);
  });

  it('passes the fault to plan shifted to load time', async () => {
    const { controls, clock, planned } = setup();
    await clock.advanceTo(ORIGIN + 12_000);
    await controls.inject({ fault: 'nodePause', node: 'eu-west/n1', duration: '5s' });
    expect(planned).toHaveLength(1);
    expect(planned[0]).toMatchObject({ id: 'm1-nodePause', kind: 'nodePause', at: 12_000, until: 17_000 });
  });
});

describe('console controls: heal, heal all, stop', () => {
  it('heals one active fault, and answers 404 for an unknown or already healed id', async () => {
    const { controls, backends } = setup();
    await controls.inject({ fault: 'nodePause', node: 'eu-west/n1', name: 'p' });
    await controls.heal('p');
    expect(backends.state.paused).toEqual(new Set());
    const again = await refusal(controls.heal('p'));
    expect(again.status).toBe(404);
    const unknown = await refusal(controls.heal('nope'));
    expect(unknown.status).toBe(404);
    expect(unknown.message).toMatch(/"nope"/);
  });

  it('answers 404 to heal before load has started', async () => {
    const { controls } = setup({ loaded: false });
    expect((await refusal(controls.heal('m1-regionOutage'))).status).toBe(404);
  });

  it('heals only the active faults on heal all and returns their ids', async () => {
    const { controls, backends, live } = setup();
    await controls.inject({ fault: 'nodePause', node: 'eu-west/n1', name: 'a' });
    await controls.inject({ fault: 'nodeCrash', node: 'us-east/n1', name: 'b' });
    await controls.inject({ fault: 'clockSkew', node: 'eu-west/n1', offsetMs: 500, name: 'c' });
    await controls.heal('b');
    const healed = await controls.healAll();
    expect(healed.sort()).toEqual(['a', 'c']);
    expect(live.active()).toEqual([]);
    expect(backends.clean()).toBe(true);
    // The session goes on: a new fault may still be injected.
    expect((await controls.inject({ fault: 'nodePause', node: 'us-east/n1' })).id).toBe('m4-nodePause');
    expect(await controls.healAll()).toEqual(['m4-nodePause']);
  });

  it('heals nothing and returns no ids on heal all before load', async () => {
    const { controls } = setup({ loaded: false });
    expect(await controls.healAll()).toEqual([]);
  });

  it('passes stop to the session', () => {
    const { controls, stops } = setup();
    controls.stop();
    expect(stops()).toBe(1);
  });
});
