// The container process backend over a fake ContainerControl: each signal becomes the engine's
// verb (SIGKILL kill, SIGSTOP pause, SIGCONT unpause, SIGTERM stop), a paused container is
// unpaused before it is killed, stopped, restarted or removed, and resumeAll heals every pause.
import { describe, expect, it } from 'vitest';
import { type ContainerControl, createContainerBackend } from '../../chaos/index.ts';

function fakeControl(running: string[] = ['eu/n1', 'us/n1']) {
  const calls: string[] = [];
  const up = new Set(running);
  const control: ContainerControl = {
    isRunning: (id) => up.has(id),
    async kill(id) {
      calls.push(`kill ${id}`);
      up.delete(id);
    },
    async stop(id) {
      calls.push(`stop ${id}`);
      up.delete(id);
    },
    async pause(id) {
      calls.push(`pause ${id}`);
    },
    async unpause(id) {
      calls.push(`unpause ${id}`);
    },
    async restart(id) {
      calls.push(`restart ${id}`);
      up.add(id);
    },
    async addNode(region) {
      calls.push(`add ${region}`);
      up.add(`${region}/n2`);
      return `${region}/n2`;
    },
    async removeNode(id) {
      calls.push(`remove ${id}`);
      up.delete(id);
    },
  };
  return { control, calls, up };
}

describe('createContainerBackend', () => {
  it('maps each signal to the container verb', async () => {
    const { control, calls } = fakeControl();
    const backend = createContainerBackend(control);
    await backend.signal('eu/n1', 'SIGSTOP');
    expect(backend.paused()).toEqual(['eu/n1']);
    await backend.signal('eu/n1', 'SIGCONT');
    expect(backend.paused()).toEqual([]);
    await backend.signal('eu/n1', 'SIGKILL');
    await backend.signal('us/n1', 'SIGTERM');
    expect(calls).toEqual(['pause eu/n1', 'unpause eu/n1', 'kill eu/n1', 'stop us/n1']);
  });

  it('unpauses a paused container before killing it, and restarts the same node', async () => {
    const { control, calls } = fakeControl();
    const backend = createContainerBackend(control);
    await backend.signal('eu/n1', 'SIGSTOP');
    await backend.signal('eu/n1', 'SIGKILL');
    await backend.restart('eu/n1');
    expect(calls).toEqual(['pause eu/n1', 'unpause eu/n1', 'kill eu/n1', 'restart eu/n1']);
    expect(backend.paused()).toEqual([]);
  });

  it('refuses to signal a node that is not running, naming it', async () => {
    const { control } = fakeControl([]);
    const backend = createContainerBackend(control);
    await expect(backend.signal('eu/n1', 'SIGKILL')).rejects.toThrow('node eu/n1 is not running');
    await expect(backend.signal('eu/n1', 'SIGSTOP')).rejects.toThrow('node eu/n1 is not running');
  });

  it('treats SIGCONT to a node that died meanwhile as healed', async () => {
    const { control, calls, up } = fakeControl();
    const backend = createContainerBackend(control);
    await backend.signal('eu/n1', 'SIGSTOP');
    up.delete('eu/n1');
    await backend.signal('eu/n1', 'SIGCONT');
    expect(calls).toEqual(['pause eu/n1']);
    expect(backend.paused()).toEqual([]);
  });

  it('resumeAll unpauses every paused node and reports failures by node', async () => {
    const { control, calls } = fakeControl();
    const backend = createContainerBackend(control);
    await backend.signal('eu/n1', 'SIGSTOP');
    await backend.signal('us/n1', 'SIGSTOP');
    await backend.resumeAll();
    expect(calls.slice(2).sort()).toEqual(['unpause eu/n1', 'unpause us/n1']);
    const failing = createContainerBackend({
      ...control,
      unpause: async () => {
        throw new Error('engine down');
      },
    });
    await failing.signal('eu/n1', 'SIGSTOP');
    await expect(failing.resumeAll()).rejects.toThrow('unpause failed for eu/n1: engine down');
  });

  it('passes scale-out and removal through, unpausing a node before it is removed', async () => {
    const { control, calls } = fakeControl();
    const backend = createContainerBackend(control);
    expect(await backend.addNode('eu')).toBe('eu/n2');
    await backend.signal('eu/n2', 'SIGSTOP');
    await backend.removeNode('eu/n2');
    expect(calls).toEqual(['add eu', 'pause eu/n2', 'unpause eu/n2', 'remove eu/n2']);
  });
});
