// Docker mode's teardown and its safety net. removeLabelled removes every container, network and
// volume with a label (a run's own, at its end). clearDockerLeftovers finds what crashed runs
// left (a SIGKILLed run never reached its teardown, and no Ryuk reaps for it): objects labelled
// chatquake.run whose chatquake.owner process is provably gone (compare
// harness/local/leftovers.ts for processes). An owner that may still live is left alone. A
// stale container's logs are saved first, to the file its chatquake.log label names.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { bootId, sameProcess } from '../local/ledger.ts';
import { connectEngine, containerActions } from './engine.ts';
import { LOG_LABEL, OWNER_LABEL, RUN_LABEL } from './plan.ts';

export interface DockerCleared {
  containers: number;
  networks: number;
  volumes: number;
  runs: string[];
}

/** Removes every container (with its volumes), then network, then volume labelled `label`. */
export async function removeLabelled(label: string): Promise<void> {
  const docker = (await connectEngine()).container.dockerode;
  const filters = { label: [label] };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((error: { statusCode?: number }) => {
          if (error.statusCode !== 404) throw error;
        }),
    ),
  );
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove();
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  for (const v of volumes) await docker.getVolume(v.Name).remove();
}

/** Whether the process named by a chatquake.owner value may still be running. */
export function ownerMayLive(owner: string | undefined): boolean {
  const [pidText, startTime, boot] = (owner ?? '').split(':');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid < 2) return false;
  if (startTime !== undefined && /^\d+$/.test(startTime) && boot !== undefined && boot !== 'unknown') {
    if (bootId() !== undefined) return sameProcess({ pid, startTime, bootId: boot });
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes what runs whose owner is gone left labelled on this engine. */
export async function clearDockerLeftovers(): Promise<DockerCleared> {
  const docker = (await connectEngine()).container.dockerode;
  const cleared: DockerCleared = { containers: 0, networks: 0, volumes: 0, runs: [] };
  const stale = new Map<string, string>();
  const consider = (labels: Record<string, string> | undefined) => {
    const run = labels?.[RUN_LABEL];
    if (run === undefined || stale.has(run)) return;
    if (!ownerMayLive(labels?.[OWNER_LABEL])) stale.set(run, `${RUN_LABEL}=${run}`);
  };
  const filters = { label: [RUN_LABEL] };
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  for (const c of containers) consider(c.Labels);
  for (const n of networks) consider(n.Labels);
  for (const v of volumes) consider(v.Labels);
  const actions = containerActions(await connectEngine());
  for (const [run, label] of stale) {
    // Its logs first, to the run folder the crashed run named, if that folder is still there.
    for (const c of containers.filter((x) => x.Labels?.[RUN_LABEL] === run)) {
      const file = c.Labels?.[LOG_LABEL];
      if (file !== undefined && isAbsolute(file) && existsSync(dirname(file)))
        await actions.saveLogs(c.Id, file);
    }
    cleared.containers += containers.filter((c) => c.Labels?.[RUN_LABEL] === run).length;
    cleared.networks += networks.filter((n) => n.Labels?.[RUN_LABEL] === run).length;
    cleared.volumes += volumes.filter((v) => v.Labels?.[RUN_LABEL] === run).length;
    await removeLabelled(label);
    cleared.runs.push(run);
  }
  return cleared;
}

/** One line for the run's output, or undefined when nothing was found. */
export function describeDockerCleared(cleared: DockerCleared): string | undefined {
  if (cleared.runs.length === 0) return undefined;
  const runs = cleared.runs.length === 1 ? 'a crashed run' : `${cleared.runs.length} crashed runs`;
  return `chatquake: removed what ${runs} left on Docker (${cleared.runs.join(', ')}): ${cleared.containers} containers, ${cleared.networks} networks, ${cleared.volumes} volumes`;
}
