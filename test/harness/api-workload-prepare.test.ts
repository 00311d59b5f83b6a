// Preparation of a scenario whose workload asks for API traffic: a target that declares the
// message API (the reference server) accepts it, one without (XMPP) is refused before anything
// starts, naming workload.api.
import { describe, expect, it } from 'vitest';
import { prepareScenario } from '../../harness/scenario/prepare.ts';
import { parseScenario, ScenarioError } from '../../harness/scenario/scenario.ts';

const base = {
  name: 'api-unit',
  description: 'API reads next to sessions',
  duration: '10s',
  topology: { regions: ['eu-west', 'us-east'] },
  workload: { users: 20, rate: 10, conversations: { groups: 0 }, api: { fetchRate: 5 } },
};

describe('workload.api in preparation', () => {
  it('is accepted for the reference target', () => {
    const prepared = prepareScenario(parseScenario(base), 'inline', 1);
    expect(prepared.scenario.workload.api?.fetchRate).toBe(5);
  });

  it('is refused for a target without a message API, naming the field', () => {
    const xmpp = parseScenario({ ...base, target: 'xmpp' });
    expect(() => prepareScenario(xmpp, 'inline', 1)).toThrow(ScenarioError);
    expect(() => prepareScenario(xmpp, 'inline', 1)).toThrow(
      /^scenario\.workload\.api: the xmpp target has no/m,
    );
    // The same workload without api is fine for it.
    const plain = parseScenario({ ...base, target: 'xmpp', workload: { ...base.workload, api: undefined } });
    expect(() => prepareScenario(plain, 'inline', 1)).not.toThrow();
  });
});
