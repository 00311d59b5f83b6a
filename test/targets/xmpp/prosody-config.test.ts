// What a region's Prosody runs with, read from the text: both s2s modes, the escaping of paths
// and passwords, Prosody's datamanager file names, and the DNS view that sends each peer domain
// to its link proxy.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  accountFile,
  accountFileText,
  encodePathPart,
  writeAccount,
} from '../../../harness/targets/xmpp/prosody/accounts.ts';
import { type ProsodyConfigInput, prosodyConfig } from '../../../harness/targets/xmpp/prosody/config.ts';
import { dnsView, domainOf } from '../../../harness/targets/xmpp/prosody/dns.ts';
import { luaString } from '../../../harness/targets/xmpp/prosody/lua.ts';
import { XmppOptions } from '../../../harness/targets/xmpp/types.ts';

const VIEW = dnsView([
  { domain: 'us-east.chatquake.test', host: '127.0.2.1', port: 40001 },
  { domain: 'ap-south.chatquake.test', host: '127.0.3.1', port: 40002 },
]);

function input(xmpp: Partial<XmppOptions>): ProsodyConfigInput {
  return {
    domain: 'eu-west.chatquake.test',
    c2sPort: 31001,
    s2sPort: 31002,
    dataPath: '/run/data/eu-west',
    pidFile: '/run/prosody/eu-west/prosody.pid',
    adminSocket: '/run/prosody/eu-west/admin.sock',
    certificatesDir: '/run/prosody/eu-west/no-certs',
    logFile: '/run/logs/eu-west.log',
    dnsHostsFile: '/run/prosody/eu-west/hosts',
    dnsResolvConf: '/run/prosody/eu-west/resolv.conf',
    dns: VIEW,
    xmpp: XmppOptions.parse(xmpp),
    tls: {
      certificate: '/run/certs/eu.crt',
      key: '/run/certs/eu.key',
      cafile: '/run/certs/ca.crt',
      noClientCert: '/run/none.pem',
    },
  };
}

const modulesLine = (text: string) => text.split('\n').find((l) => l.startsWith('modules_enabled')) ?? '';

describe('prosodyConfig', () => {
  it('listens on loopback only, on the given ports, with the run’s paths and file storage', () => {
    const text = prosodyConfig(input({}));
    for (const line of [
      'interfaces = { "127.0.0.1" }',
      'c2s_ports = { 31001 }',
      's2s_ports = { 31002 }',
      'c2s_direct_tls_ports = { }',
      'legacy_ssl_ports = { }',
      'run_as_root = true',
      'daemonize = false',
      'data_path = "/run/data/eu-west"',
      'pidfile = "/run/prosody/eu-west/prosody.pid"',
      'authentication = "internal_plain"',
      'c2s_require_encryption = false',
      'allow_unencrypted_plain_auth = true',
      'archive_expires_after = "never"',
      'default_archive_policy = true',
      'network_settings = { nagle = false }',
      'VirtualHost "eu-west.chatquake.test"',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).toContain('filename = "/run/logs/eu-west.log"');
    expect(text).not.toMatch(/http|component/i);
  });

  it('smacks: TLS with the run CA, secure auth, stream management on s2s, no dialback', () => {
    const text = prosodyConfig(input({ s2s: 'smacks' }));
    const modules = modulesLine(text);
    for (const module of ['roster', 'saslauth', 'tls', 'disco', 'ping', 'carbons', 'mam', 'smacks'])
      expect(modules).toContain(`"${module}"`);
    expect(modules).not.toContain('dialback');
    expect(modules).not.toContain('s2s_smacks_timeout');
    expect(text).toContain('s2s_require_encryption = true');
    expect(text).toContain('s2s_secure_auth = true');
    expect(text).toContain('smacks_enabled_s2s = true');
    expect(text).toContain('cafile = "/run/certs/ca.crt"');
    expect(text).toContain('c2s_ssl = { certificate = "/run/none.pem"');
    expect(() => prosodyConfig({ ...input({ s2s: 'smacks' }), tls: undefined })).toThrow(/certificates/);
  });

  it('smacks bounces what a dead s2s stream left unacked, unless s2sResend asks to resend it', () => {
    expect(prosodyConfig(input({ s2s: 'smacks' }))).toContain('smacks_s2s_resend = false');
    expect(prosodyConfig(input({ s2s: 'smacks', s2sResend: true }))).toContain('smacks_s2s_resend = true');
    expect(prosodyConfig(input({ s2s: 'dialback', s2sResend: true }))).not.toContain('smacks_s2s_resend');
  });

  it('smacks with an ack timeout: mod_s2s_smacks_timeout, and mod_smacks’ delay in seconds', () => {
    const text = prosodyConfig(input({ s2s: 'smacks', s2sAckTimeoutMs: 2500 }));
    expect(modulesLine(text)).toContain('"s2s_smacks_timeout"');
    expect(text).toContain('smacks_max_ack_delay = 2.5');
  });

  it('dialback: plain s2s, no TLS module, no stream management on s2s', () => {
    const text = prosodyConfig(input({ s2s: 'dialback', s2sAckTimeoutMs: 2500 }));
    const modules = modulesLine(text);
    expect(modules).toContain('"dialback"');
    expect(modules).not.toContain('"tls"');
    expect(modules).not.toContain('s2s_smacks_timeout');
    expect(text).toContain('s2s_require_encryption = false');
    expect(text).toContain('smacks_enabled_s2s = false');
    expect(text).not.toContain('s2s_ssl');
    expect(text).not.toContain('smacks_max_ack_delay');
  });

  it('is valid Lua in both modes (luac -p, where Lua is installed)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatquake-prosody-'));
    try {
      for (const s2s of ['smacks', 'dialback'] as const) {
        const file = join(dir, `${s2s}.cfg.lua`);
        writeFileSync(file, prosodyConfig(input({ s2s, s2sAckTimeoutMs: 1000 })));
        const luac = spawnSync('luac5.4', ['-p', file], { encoding: 'utf8' });
        if (luac.error !== undefined) return; // no Lua here
        expect(luac.stderr, s2s).toBe('');
        expect(luac.status, s2s).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('escapes what it quotes, so a path cannot break out of its string', () => {
    expect(luaString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\010d"');
    expect(luaString('é')).toBe('"\\195\\169"');
    const text = prosodyConfig({ ...input({}), dataPath: '/tmp/x"; os.exit() --' });
    expect(text).toContain('data_path = "/tmp/x\\"; os.exit() --"');
  });
});

describe('accounts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chatquake-accounts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('encodes path parts as Prosody’s datamanager does', () => {
    expect(encodePathPart('eu-west.chatquake.test')).toBe('eu%2dwest%2echatquake%2etest');
    expect(encodePathPart('user_1')).toBe('user%5f1');
    expect(encodePathPart('Ab9')).toBe('Ab9');
    expect(accountFile('/d', 'eu-west.chatquake.test', 'a.b')).toBe(
      '/d/eu%2dwest%2echatquake%2etest/accounts/a%2eb.dat',
    );
  });

  it('writes the account file internal_plain reads, and refuses names nodeprep would change', async () => {
    expect(accountFileText('p"w')).toBe('return {\n\t["password"] = "p\\"w";\n};\n');
    await writeAccount(dir, 'eu-west.chatquake.test', 'alice', 'secret');
    expect(readFileSync(accountFile(dir, 'eu-west.chatquake.test', 'alice'), 'utf8')).toBe(
      accountFileText('secret'),
    );
    await expect(writeAccount(dir, 'eu-west.chatquake.test', 'Alice', 'x')).rejects.toThrow(/lowercase/);
  });
});

describe('dnsView', () => {
  it('sends each peer domain to its link proxy: SRV in the static zone, the target’s A in hosts', () => {
    expect(domainOf('eu-west')).toBe('eu-west.chatquake.test');
    expect(VIEW.options).toEqual([
      ['local-zone:', 'chatquake.test. static'],
      [
        'local-data:',
        '_xmpp-server._tcp.us-east.chatquake.test. 60 IN SRV 0 0 40001 s2s-link.us-east.chatquake.test.',
      ],
      [
        'local-data',
        '_xmpp-server._tcp.ap-south.chatquake.test. 60 IN SRV 0 0 40002 s2s-link.ap-south.chatquake.test.',
      ],
    ]);
    expect(VIEW.hosts.split('\n')).toContain('127.0.2.1 s2s-link.us-east.chatquake.test');
    expect(VIEW.hosts.split('\n')).toContain('127.0.3.1 s2s-link.ap-south.chatquake.test');
    expect(VIEW.resolvConf).toBe('nameserver 127.0.0.1\n');
    const text = prosodyConfig(input({}));
    expect(text).toContain('hoststxt = "/run/prosody/eu-west/hosts"');
    expect(text).toContain('["local-data"] = "_xmpp-server._tcp.ap-south.chatquake.test.');
  });

  it('refuses a third peer rather than dropping its record', () => {
    const peer = { domain: 'x.chatquake.test', host: '127.0.0.1', port: 1 };
    expect(() => dnsView([peer, peer, peer])).toThrow(/at most 2 peers/);
  });
});
