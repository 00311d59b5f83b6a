// Scenarios written as JSON or YAML: the same schema and the same errors as a TypeScript
// scenario, an editor's "$schema" key allowed, and a file that does not parse named with its
// line and column (Node 20's JSON.parse does not always say where, hence jsonErrorOffset).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonErrorOffset, lineColumn } from '../../harness/scenario/data-file.ts';
import { loadScenario, ScenarioError } from '../../harness/scenario/scenario.ts';

const dir = mkdtempSync(join(tmpdir(), 'chatquake-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const failure = async (file: string): Promise<string> => {
  const error = await loadScenario(file, dir).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ScenarioError);
  return (error as ScenarioError).message;
};

const YAML = `# yaml-language-server: $schema=../schema/scenario.schema.json
name: from-yaml
description: the same scenario as data
duration: 5s
seed: 3
topology: { regions: [eu-west, us-east] }
workload:
  users: 12
chaos:
  - fault: regionOutage
    region: eu-west
    at: 1s
    duration: 2s
thresholds:
  delivery_latency_ms: ['p(99)<500']
`;

describe('a JSON or YAML scenario', () => {
  it('loads YAML and JSON to the same scenario as the TypeScript form', async () => {
    const object = {
      name: 'from-yaml',
      description: 'the same scenario as data',
      duration: '5s',
      seed: 3,
      topology: { regions: ['eu-west', 'us-east'] },
      workload: { users: 12 },
      chaos: [{ fault: 'regionOutage', region: 'eu-west', at: '1s', duration: '2s' }],
      thresholds: { delivery_latency_ms: ['p(99)<500'] },
    };
    const yaml = await loadScenario(write('s.yaml', YAML), dir);
    const json = await loadScenario(
      write('s.json', JSON.stringify({ $schema: './scenario.schema.json', ...object }, null, 2)),
      dir,
    );
    const ts = await loadScenario(write('s.ts', `export default ${JSON.stringify(object)};\n`), dir);
    const { path: _y, ...fromYaml } = yaml;
    const { path: _j, ...fromJson } = json;
    const { path: _t, ...fromTs } = ts;
    expect(fromYaml).toEqual(fromTs);
    expect(fromJson).toEqual(fromTs);
    expect(fromYaml.workload.users).toBe(12);
    expect(fromYaml.chaos).toHaveLength(1);
  });

  it('reads .yml too, whatever the case of the extension', async () => {
    const scenario = await loadScenario(write('s.YML', YAML), dir);
    expect(scenario.name).toBe('from-yaml');
  });

  it('names a bad field the way a TypeScript scenario does', async () => {
    const file = write('bad-field.yaml', YAML.replace('users: 12', 'users: 0').replace('at: 1s', 'at: soon'));
    const message = await failure(file);
    expect(message).toMatch(/scenario\.workload\.users/);
    expect(message).toMatch(/scenario\.chaos\[0\]\.at/);
  });

  it('refuses an unknown key, but not "$schema"', async () => {
    const message = await failure(write('extra.yaml', `${YAML}colour: blue\n`));
    expect(message).toMatch(/colour/);
    await expect(loadScenario(write('schema.yaml', `$schema: ./x.json\n${YAML}`), dir)).resolves.toBeTruthy();
  });

  it('names the file, line and column of a YAML syntax error', async () => {
    const file = write('broken.yaml', 'name: x\ndescription: d\nduration: [5s\nseed: 1\n');
    expect(await failure(file)).toMatch(/broken\.yaml:\d+:\d+: not valid YAML: /);
    const dup = write('dup.yaml', 'name: x\nname: y\n');
    expect(await failure(dup)).toMatch(/dup\.yaml:2:1: not valid YAML: Map keys must be unique/);
  });

  it('names the file, line and column of a JSON syntax error', async () => {
    const file = write('broken.json', '{\n  "name": "x",\n  "description": }\n');
    expect(await failure(file)).toMatch(/broken\.json:3:18: not valid JSON: /);
  });

  it('refuses a data file that is not one object', async () => {
    expect(await failure(write('list.yaml', '- a\n- b\n'))).toMatch(/list\.yaml: must hold one object/);
    expect(await failure(write('empty.json', '   '))).toMatch(/empty\.json:1:4: not valid JSON/);
  });
});

describe('jsonErrorOffset', () => {
  it('finds where JSON stops being JSON', () => {
    expect(jsonErrorOffset('{"a": 1}')).toBe(-1);
    expect(jsonErrorOffset('{"a": [1, 2.5e3, true, null, "x\\"y"]}')).toBe(-1);
    expect(jsonErrorOffset('{"a": }')).toBe(6);
    expect(jsonErrorOffset('{"a" 1}')).toBe(5);
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
    expect(jsonErrorOffset('[1, 2')).toBe(5);
    expect(jsonErrorOffset('{"a": 1} x')).toBe(9);
    expect(jsonErrorOffset("{'a': 1}")).toBe(1);
  });

  it('turns an offset into a 1-based line and column', () => {
    expect(lineColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
