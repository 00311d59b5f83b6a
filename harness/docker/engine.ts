// The few things docker mode asks of the container engine, over testcontainers' runtime client
// (its dockerode underneath): is the image there, make a labelled network, start a labelled
// container and wait for its "listening" line, and act on a container by id (kill, pause,
// unpause, start, stop, its logs, remove). Everything else in harness/docker/ goes through here.
import { writeFileSync } from 'node:fs';
import {
  type ContainerRuntimeClient,
  GenericContainer,
  getContainerRuntimeClient,
  ImageName,
  StartedNetwork,
  Wait,
} from 'testcontainers';

export type EngineContainer = ReturnType<ContainerRuntimeClient['container']['getById']>;

/** Every container logs one JSON line with event "listening" once it serves. */
const READY_LINE = /"event":"listening"/;
const START_TIMEOUT_MS = 60_000;

/**
 * The engine client. No Ryuk: its image cannot be pulled where chatquake's CI runs, and the run
 * removes what it made itself (and the next run what a crashed one left).
 */
export async function connectEngine(): Promise<ContainerRuntimeClient> {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  return getContainerRuntimeClient();
}

/** Throws, saying how to build it, when the image is not on this engine (nothing is pulled). */
export async function requireImage(client: ContainerRuntimeClient, image: string): Promise<void> {
  if (await client.image.exists(ImageName.fromString(image))) return;
  throw new Error(
    `--image: ${image} is not on this Docker engine; build it with \`docker build -t ${image} .\` or, where no image can be pulled, \`scripts/docker-host-image.sh ${image}\``,
  );
}

export async function createNetwork(
  client: ContainerRuntimeClient,
  name: string,
  labels: Record<string, string>,
): Promise<StartedNetwork> {
  const network = await client.network.create({
    Name: name,
    CheckDuplicate: true,
    Driver: 'bridge',
    Labels: labels,
  });
  return new StartedNetwork(client, name, network);
}

export interface ContainerSpec {
  command: string[];
  network: StartedNetwork;
  aliases: string[];
  labels: Record<string, string>;
  /** The container's environment: the credentials go here, not on the command line that `ps` and logs show. */
  env?: Record<string, string>;
  /** Container ports published to the host, each on the given host port or on a free one. */
  ports: ({ container: number; host: number } | number)[];
}

/** Starts a container and resolves once it logged its ready line; returns its id and host ports. */
/**
 * testcontainers publishes ports on every interface and has no option for the address, but a
 * run's traffic stays on this machine: each published port is bound to 127.0.0.1 instead. A
 * subclass, since the bindings are a protected field; nothing else of GenericContainer changes.
 */
class LoopbackContainer extends GenericContainer {
  onLoopback(): this {
    for (const bindings of Object.values(this.hostConfig.PortBindings ?? {})) {
      for (const binding of bindings as { HostIp?: string }[]) binding.HostIp = '127.0.0.1';
    }
    return this;
  }
}

export async function startContainer(
  image: string,
  spec: ContainerSpec,
): Promise<{ id: string; mapped: (port: number) => number }> {
  const started = await new LoopbackContainer(image)
    .withCommand(spec.command)
    .withNetwork(spec.network)
    .withNetworkAliases(...spec.aliases)
    .withLabels(spec.labels)
    .withEnvironment(spec.env ?? {})
    .withExposedPorts(...spec.ports)
    .onLoopback()
    .withWaitStrategy(Wait.forLogMessage(READY_LINE))
    .withStartupTimeout(START_TIMEOUT_MS)
    .start();
  return { id: started.getId(), mapped: (port) => started.getMappedPort(port) };
}

export async function joinNetwork(
  client: ContainerRuntimeClient,
  id: string,
  network: StartedNetwork,
  aliases: string[],
): Promise<void> {
  await client.container.connectToNetwork(
    client.container.getById(id),
    client.network.getById(network.getId()),
    aliases,
  );
}

/** HTTP status of a failed engine call, if it has one. */
function statusOf(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? code : undefined;
}

export interface ContainerActions {
  kill(id: string): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  start(id: string): Promise<void>;
  stop(id: string, graceSeconds: number): Promise<void>;
  /** Writes the container's stdout and stderr so far (or since a Unix time, s) to `file`; never throws. */
  saveLogs(id: string, file: string, since?: number): Promise<void>;
  /** Force-removes the container and its anonymous volumes; a container already gone is removed. */
  remove(id: string): Promise<void>;
}

export function containerActions(client: ContainerRuntimeClient): ContainerActions {
  const byId = (id: string) => client.container.getById(id);
  // 304 "already started/stopped", 409 "not running" or "already paused", "is not paused": the
  // state asked for is reached already.
  const settled = async (step: Promise<unknown>): Promise<void> => {
    try {
      await step;
    } catch (error) {
      const status = statusOf(error);
      // Unpausing a running container is a 500 "is not paused" on dockerd 20.10.
      const notPaused = /is not paused/.test((error as Error).message);
      if (status !== 304 && status !== 409 && !notPaused) throw error;
    }
  };
  return {
    kill: (id) => settled(byId(id).kill({ signal: 'SIGKILL' })),
    pause: (id) => settled(byId(id).pause()),
    unpause: (id) => settled(byId(id).unpause()),
    start: (id) => settled(byId(id).start()),
    stop: (id, graceSeconds) => settled(byId(id).stop({ t: graceSeconds })),
    async saveLogs(id, file, since = 0) {
      try {
        const raw = await byId(id).logs({ stdout: true, stderr: true, follow: false, since });
        writeFileSync(file, demux(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw))));
      } catch {
        // Logs are a courtesy: a container gone already has none to give.
      }
    },
    async remove(id) {
      try {
        await byId(id).remove({ force: true, v: true });
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    },
  };
}

/**
 * The engine's log stream without its frame headers: a container without a TTY sends each chunk
 * as [stream, 0, 0, 0, size (4 bytes, big-endian)] then the bytes.
 */
export function demux(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= raw.length) {
    const kind = raw[at];
    if (kind !== 0 && kind !== 1 && kind !== 2) return raw;
    const size = raw.readUInt32BE(at + 4);
    parts.push(raw.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return at === 0 && raw.length > 0 ? raw : Buffer.concat(parts);
}
