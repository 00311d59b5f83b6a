// `run --mode compose`: the harness attaches to the compose topology it runs in (docker-compose.yml,
// its harness service) instead of starting one. It finds the node containers of its own compose
// project by their labels, checks that they are the topology the scenario asks for, reaches
// them and the Toxiproxy by their aliases on the cloud networks it joins, and drives faults as
// docker mode does: proxies through the Toxiproxy API, crash and outage as container kill and
// start, freeze as pause. It starts and removes nothing: at start and at the end it heals what a
// run may leave (toxics, disabled proxies, paused or killed nodes), so the topology outlives runs.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createToxiproxyClient, type ToxiproxyClient } from '../../chaos/index.ts';
import { sleep } from '../../lib/async.ts';
import { cleanup as defaultCleanup } from '../local/cleanup.ts';
import { edgeProxyName, planLayout } from '../local/layout.ts';
import type { LocalTopologyOptions, NodeInfo } from '../local/topology/types.ts';
import { NODE_LABEL, ROLE_LABEL } from './compose.ts';
import { connectEngine, containerActions } from './engine.ts';
import { dockerHandle } from './handle.ts';
import { waitHealthy } from './nodes.ts';
import { type ContainerPlan, NODE_PORT, PROXY_ALIAS, PROXY_API_PORT, planContainers } from './plan.ts';
import type { DockerState, DockerTopology, NodeContainer } from './state.ts';

export interface ComposeTopologyOptions extends LocalTopologyOptions {
  runId: string;
}

const PROJECT_LABEL = 'com.docker.compose.project';
const API_WAIT_MS = 60_000;

type Engine = Awaited<ReturnType<typeof connectEngine>>['container']['dockerode'];
interface FoundNode {
  id: string;
  cmd: string[];
}

/** The compose project of the container this process runs in, or $COMPOSE_PROJECT_NAME. */
async function composeProject(engine: Engine): Promise<string> {
  const self = process.env.HOSTNAME;
  if (self !== undefined && self !== '') {
    const labels = await engine
      .getContainer(self)
      .inspect()
      .then((c) => c.Config.Labels ?? {})
      .catch(() => ({}) as Record<string, string>);
    const project = labels[PROJECT_LABEL];
    if (project !== undefined) return project;
  }
  const named = process.env.COMPOSE_PROJECT_NAME;
  if (named !== undefined && named !== '') return named;
  throw new Error(
    '--mode compose attaches to the compose topology it runs in: run it as the harness service of docker-compose.yml (docker-compose up harness), or set COMPOSE_PROJECT_NAME',
  );
}

async function findContainers(engine: Engine, project: string, role: string) {
  return engine.listContainers({
    all: true,
    filters: { label: [`${PROJECT_LABEL}=${project}`, `${ROLE_LABEL}=${role}`] },
  });
}

/** Every value of `--name` on a command line. */
function flagValues(cmd: readonly string[], name: string): string[] {
  const values: string[] = [];
  cmd.forEach((arg, i) => {
    if (arg === name && cmd[i + 1] !== undefined) values.push(cmd[i + 1] as string);
    else if (arg.startsWith(`${name}=`)) values.push(arg.slice(name.length + 1));
  });
  return values;
}

/** Throws, naming the field, unless the containers are the topology the scenario asks for. */
export function checkComposeNodes(
  found: ReadonlyMap<string, { cmd: readonly string[] }>,
  plan: ContainerPlan,
  options: Pick<LocalTopologyOptions, 'ack' | 'leaseMs' | 'bugs'>,
): void {
  const wanted = plan.nodes.map((n) => `${n.region}/${n.node}`);
  const have = [...found.keys()].sort();
  if (wanted.length !== have.length || wanted.some((id) => !found.has(id))) {
    throw new Error(
      `scenario.topology: the scenario needs the nodes ${wanted.join(', ')}; the compose project has ${have.join(', ') || 'none'} (regenerate docker-compose.yml with scripts/write-compose.ts, or change topology.regions and topology.nodesPerRegion)`,
    );
  }
  const ack = options.ack ?? 'replicated';
  const lease = String(options.leaseMs ?? 2000);
  const bugs = [...(options.bugs ?? [])].sort().join(',');
  for (const [id, { cmd }] of found) {
    const runs = (name: string) => flagValues(cmd, name).join(',');
    if (runs('--ack') !== ack)
      throw new Error(
        `scenario.topology.ack: node ${id} runs with --ack ${runs('--ack')}, the scenario asks for ${ack}`,
      );
    if (runs('--lease-ms') !== lease)
      throw new Error(
        `scenario.topology.leaseMs: node ${id} runs with --lease-ms ${runs('--lease-ms')}, the scenario asks for ${lease}`,
      );
    const nodeBugs = flagValues(cmd, '--bug').sort().join(',');
    if (nodeBugs !== bugs)
      throw new Error(
        `scenario.topology.bugs: node ${id} runs with bugs [${nodeBugs}], the scenario asks for [${bugs}] (the nodes' bugs come from CHATQUAKE_NODE_FLAGS, the scenario's from --bug and topology.bugs)`,
      );
  }
}

async function waitForApi(
  toxiproxy: ToxiproxyClient,
): Promise<Awaited<ReturnType<ToxiproxyClient['listProxies']>>> {
  const deadline = Date.now() + API_WAIT_MS;
  for (;;) {
    try {
      return await toxiproxy.listProxies();
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(
          `the Toxiproxy at ${toxiproxy.url} did not answer within ${API_WAIT_MS} ms: ${(error as Error).message}`,
        );
      await sleep(500);
    }
  }
}

function nodeInfo(state: Pick<DockerState, 'logsDir'>, region: string, node: string): NodeInfo {
  const alias = `${region}-${node}`;
  return {
    region,
    node,
    host: alias,
    port: NODE_PORT,
    httpUrl: `http://${alias}:${NODE_PORT}`,
    clientUrl: '',
    dataDir: `${alias}:/data (a compose volume)`,
    logFile: join(state.logsDir, `${region}-${node}.log`),
    pid: undefined,
    running: true,
  };
}

export async function attachComposeTopology(options: ComposeTopologyOptions): Promise<DockerTopology> {
  const client = await connectEngine();
  const engine = client.container.dockerode;
  const project = await composeProject(engine);
  const plan = planContainers('compose', planLayout(options.regions, options.nodesPerRegion ?? 1));
  const found = new Map<string, FoundNode>();
  for (const c of await findContainers(engine, project, 'server')) {
    const id = c.Labels?.[NODE_LABEL];
    if (id === undefined) continue;
    const inspected = await engine.getContainer(c.Id).inspect();
    found.set(id, { id: c.Id, cmd: inspected.Config.Cmd ?? [] });
  }
  checkComposeNodes(found, plan, options);
  const url = options.toxiproxyUrl ?? `http://${PROXY_ALIAS}:${PROXY_API_PORT}`;
  const toxiproxy = createToxiproxyClient(url, { timeoutMs: 10_000 });
  const existing = await waitForApi(toxiproxy);
  const missing = plan.proxies.filter((p) => existing[p.name] === undefined).map((p) => p.name);
  if (missing.length > 0)
    throw new Error(
      `the Toxiproxy at ${url} lacks the proxies ${missing.join(', ')} (compose/toxiproxy.json)`,
    );
  const others = [
    ...(await findContainers(engine, project, 'directory')),
    ...(await findContainers(engine, project, 'proxy')),
  ];
  const state = attachedState(options, client, toxiproxy, plan);
  for (const [nodeId, { id }] of found) {
    const [region, node] = nodeId.split('/') as [string, string];
    const container: NodeContainer = { info: nodeInfo(state, region, node), id, lock: Promise.resolve() };
    container.info.clientUrl = `ws://${state.proxies.get(edgeProxyName(region, node))?.listen}/ws`;
    state.nodes.set(nodeId, container);
    state.containers.push({ id, logFile: container.info.logFile });
  }
  for (const c of others)
    state.containers.push({ id: c.Id, logFile: join(state.logsDir, `${c.Labels?.[ROLE_LABEL]}.log`) });
  const since = Math.floor(Date.now() / 1000);
  const close = registerHeal(state, since);
  try {
    state.status(`attached to compose project ${project}: healing what an earlier run left`);
    await healAll(state);
    await Promise.all(
      [...state.nodes.values()].map((n) => waitHealthy(n.info.httpUrl, `${n.info.region}/${n.info.node}`)),
    );
    return dockerHandle(state, close);
  } catch (error) {
    await close();
    throw error;
  }
}

function attachedState(
  options: ComposeTopologyOptions,
  client: Awaited<ReturnType<typeof connectEngine>>,
  toxiproxy: ToxiproxyClient,
  plan: ContainerPlan,
): DockerState {
  const logsDir = join(options.runDir, 'logs');
  mkdirSync(logsDir, { recursive: true });
  const proxies = new Map(plan.proxies.map((p) => [p.name, { ...p, listen: `${PROXY_ALIAS}:${p.port}` }]));
  const state: DockerState = {
    options: { ...options, image: '(the compose project)' },
    registry: options.registry ?? defaultCleanup,
    regions: [...options.regions],
    leaseMs: options.leaseMs ?? 2000,
    logsDir,
    labels: {},
    status: options.onStatus ?? (() => {}),
    actions: containerActions(client),
    networks: new Map(),
    nodes: new Map(),
    proxies,
    containers: [],
    counters: { edge: 0, inner: 0 },
    toxiproxy,
    proxyPorts: (port) => port,
    fixedNodes: true,
    closed: false,
  };
  return state;
}

/** Every proxy enabled and without toxics, every node container running and not paused. */
async function healAll(state: DockerState): Promise<void> {
  await state.toxiproxy?.reset();
  for (const node of state.nodes.values()) {
    if (node.id === undefined) continue;
    await state.actions.unpause(node.id);
    await state.actions.start(node.id);
    node.info.running = true;
  }
}

/** The teardown of an attached run: heal, then save the run's share of every container's logs. */
function registerHeal(state: DockerState, since: number): () => Promise<void> {
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      state.closed = true;
      await healAll(state).catch((error) =>
        state.status(`could not heal the compose topology: ${(error as Error).message}`),
      );
      await Promise.all(state.containers.map((c) => state.actions.saveLogs(c.id, c.logFile, since)));
      unregister();
    })();
    return closing;
  };
  const unregister = state.registry.add('compose topology', close);
  return close;
}
