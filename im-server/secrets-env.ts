// Secrets from the environment: `--secret` and `--admin-token` on a command line show in `ps`,
// in `docker inspect` and in compose files, so the server, the directory and `token` also read
// them from CHATQUAKE_SECRET and CHATQUAKE_ADMIN_TOKEN. A flag, when given, wins.

export const SECRET_ENV = {
  secret: 'CHATQUAKE_SECRET',
  'admin-token': 'CHATQUAKE_ADMIN_TOKEN',
} as const;

/** The parsed flag values with each missing secret filled from its variable (an empty one counts as unset). */
export function withSecretsFromEnv(
  values: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
  names: readonly (keyof typeof SECRET_ENV)[] = ['secret', 'admin-token'],
): Record<string, unknown> {
  const filled = { ...values };
  for (const name of names) {
    const fromEnv = env[SECRET_ENV[name]];
    if (filled[name] === undefined && fromEnv !== undefined && fromEnv !== '') filled[name] = fromEnv;
  }
  return filled;
}
