// Accounts for a region's Prosody, written straight into its file storage (internal_plain), so
// a run with thousands of users creates them in milliseconds rather than one prosodyctl process
// each. Prosody reads the account file at every login, so a running server sees new accounts.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { luaString } from './lua.ts';

/** Prosody's datamanager encoding of a path part: every byte but [A-Za-z0-9] as %xx (lowercase). */
export function encodePathPart(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9]/.test(c) ? c : `%${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/**
 * Localparts chatquake creates: what nodeprep leaves unchanged, so the file is the one Prosody
 * reads; the backslash is XEP-0106's escape, which the target uses for the characters JIDs forbid.
 */
const USER = /^[a-z0-9._\\-]{1,64}$/;

export function accountFile(dataPath: string, domain: string, user: string): string {
  return join(dataPath, encodePathPart(domain), 'accounts', `${encodePathPart(user)}.dat`);
}

export function accountFileText(password: string): string {
  return `return {\n\t["password"] = ${luaString(password)};\n};\n`;
}

/** Creates (or overwrites) `user@domain`; atomic, so a login never reads half a file. */
export async function writeAccount(
  dataPath: string,
  domain: string,
  user: string,
  password: string,
): Promise<void> {
  if (!USER.test(user)) throw new Error(`XMPP user "${user}": lowercase letters, digits and . _ - only`);
  const file = accountFile(dataPath, domain, user);
  await mkdir(join(file, '..'), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, accountFileText(password), { mode: 0o600 });
  await rename(temporary, file);
}
