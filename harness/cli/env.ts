// `-e KEY=VALUE` (k6's --env): the variables are set in process.env before the scenario file is
// imported, so its top level reads them; `__ENV` is also there, a frozen copy of process.env
// after they were applied, for scenario files written with k6's habits.

declare global {
  /** k6's `__ENV`: the environment as the scenario file loads, with every `-e` applied. */
  var __ENV: Readonly<Record<string, string | undefined>>;
}

/** Sets each `-e` variable (the last one given wins over the inherited environment) and `__ENV`. */
export function applyEnvFlags(env: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(env)) process.env[key] = value;
  globalThis.__ENV = Object.freeze({ ...process.env });
}
