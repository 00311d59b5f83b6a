// Secrets need not be on a command line (where `ps` and `docker inspect` show them): the server,
// the directory and `token` read CHATQUAKE_SECRET and CHATQUAKE_ADMIN_TOKEN, and a flag wins.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { CREDENTIAL_ENV } from '../../harness/local/topology/node-args.ts';
import { parseServerFlags } from '../../im-server/main.ts';
import { SECRET_ENV, withSecretsFromEnv } from '../../im-server/secrets-env.ts';
import { verifyToken } from '../../im-server/token.ts';

const BASE = ['--region', 'eu-west', '--node', 'n1', '--port', '0', '--data', '/tmp/x'];

describe('secrets from the environment', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('fills a missing flag from its variable; a given flag wins; an empty variable is unset', () => {
    const env = { CHATQUAKE_SECRET: 'from-env', CHATQUAKE_ADMIN_TOKEN: '' };
    expect(withSecretsFromEnv({ port: '1' }, env)).toEqual({ port: '1', secret: 'from-env' });
    expect(withSecretsFromEnv({ secret: 'flag' }, env)).toEqual({ secret: 'flag' });
    expect(withSecretsFromEnv({}, env, ['admin-token'])).toEqual({});
  });

  it('names the same variables the local topology sets for its nodes and directory', () => {
    expect(CREDENTIAL_ENV).toEqual({ secret: SECRET_ENV.secret, adminToken: SECRET_ENV['admin-token'] });
  });

  it('lets a server start with no secret on its command line', () => {
    process.env.CHATQUAKE_SECRET = 'env-secret';
    process.env.CHATQUAKE_ADMIN_TOKEN = 'env-admin';
    const parsed = parseServerFlags(BASE);
    expect(parsed).toMatchObject({ ok: true, flags: { secret: 'env-secret', 'admin-token': 'env-admin' } });
    delete process.env.CHATQUAKE_SECRET;
    const missing = parseServerFlags(BASE);
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.message).toContain('--secret');
  });

  it('signs a token with $CHATQUAKE_SECRET, and with --secret over it', () => {
    const token = (args: string[], secret: string) =>
      spawnSync(process.execPath, ['bin/chatquake.js', 'token', '--user', 'ann', ...args], {
        encoding: 'utf8',
        env: { ...process.env, CHATQUAKE_SECRET: secret },
      });
    const fromEnv = token([], 'one');
    expect(fromEnv.status, fromEnv.stderr).toBe(0);
    expect(verifyToken(fromEnv.stdout.trim(), 'one')).toEqual({ user: 'ann' });
    const flagWins = token(['--secret', 'one'], 'two');
    expect(verifyToken(flagWins.stdout.trim(), 'one')).toEqual({ user: 'ann' });
    expect(verifyToken(flagWins.stdout.trim(), 'two')).toBeNull();
  });
});
