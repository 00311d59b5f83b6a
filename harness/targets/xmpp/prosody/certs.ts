// The throwaway certificate authority of one run, for s2s in `smacks` mode: Prosody then
// authenticates peers by certificate (SASL EXTERNAL, s2s_secure_auth) as real deployments do,
// and nothing outlives the run folder. Made with the openssl command line, EC keys for speed.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DomainCert {
  certificate: string;
  key: string;
}

export interface RunCa {
  /** The CA certificate every region trusts. */
  cafile: string;
  /** Per domain, its certificate (DNS SAN = the domain) and key. */
  certs: Map<string, DomainCert>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 30_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || String(error)}`);
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes the CA and one certificate per domain under `dir`. */
export async function createRunCa(dir: string, domains: readonly string[]): Promise<RunCa> {
  await mkdir(dir, { recursive: true });
  const cafile = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  await openssl(
    [
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      caKey,
      '-out',
      cafile,
      '-days',
      '2',
      '-subj',
      '/CN=chatquake run CA',
    ],
    dir,
  );
  const certs = new Map<string, DomainCert>();
  for (const domain of domains) {
    const key = join(dir, `${domain}.key`);
    const csr = join(dir, `${domain}.csr`);
    const certificate = join(dir, `${domain}.crt`);
    const ext = join(dir, `${domain}.ext`);
    await writeFile(
      ext,
      `subjectAltName = DNS:${domain}\nextendedKeyUsage = serverAuth, clientAuth\nbasicConstraints = CA:FALSE\n`,
    );
    await openssl(['req', '-new', ...EC_KEY, '-keyout', key, '-out', csr, '-subj', `/CN=${domain}`], dir);
    await openssl(
      ['x509', '-req', '-in', csr, '-CA', cafile, '-CAkey', caKey, '-CAcreateserial'].concat([
        '-out',
        certificate,
        '-days',
        '2',
        '-extfile',
        ext,
      ]),
      dir,
    );
    certs.set(domain, { certificate, key });
  }
  return { cafile, certs };
}
