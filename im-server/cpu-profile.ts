// An opt-in CPU profile of a server node, for the capacity benchmark (bench/capacity.ts): the
// harness spawns nodes with `node bin/chatquake.js server ...`, and Node refuses `--cpu-prof` in
// NODE_OPTIONS, so a node profiles itself when CHATQUAKE_CPU_PROF_DIR names a folder. It writes
// `<dir>/<region>-<node>-<pid>.cpuprofile` (Chrome DevTools format) when it shuts down. Off
// unless the variable is set: a profiled node runs measurably slower.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

export const CPU_PROFILE_ENV = 'CHATQUAKE_CPU_PROF_DIR';

export interface CpuProfiler {
  /** Stops the profiler and writes the profile; resolves to its path. */
  stop(): Promise<string>;
}

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

/** Starts profiling when $CHATQUAKE_CPU_PROF_DIR is set; null otherwise. */
export async function startCpuProfile(name: string, env = process.env): Promise<CpuProfiler | null> {
  const dir = env[CPU_PROFILE_ENV];
  if (dir === undefined || dir === '') return null;
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  await post(session, 'Profiler.enable');
  // 1 ms sampling, as `node --cpu-prof` does by default.
  await post(session, 'Profiler.setSamplingInterval', { interval: 1000 });
  await post(session, 'Profiler.start');
  return {
    async stop() {
      const { profile } = await post<{ profile: unknown }>(session, 'Profiler.stop');
      session.disconnect();
      const file = join(dir, `${name.replace(/[^A-Za-z0-9._-]/g, '-')}-${process.pid}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
}
