import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** OWASP's Argon2id minimum (19 MiB, 2 passes); verification also accepts any other PHC Argon2 string. */
const HASH_OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
const CURRENT_PREFIX = `$argon2id$v=19$m=${HASH_OPTIONS.memoryCost},t=${HASH_OPTIONS.timeCost},p=${HASH_OPTIONS.parallelism}$`;

/** Argon2id, off the event loop (libuv thread pool). Never call it inside a database transaction. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, HASH_OPTIONS);
}

export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    // A stored value that is not a PHC string verifies nothing.
    return false;
  }
}

/** True for a stored hash made with other parameters than new hashes (e.g. the reference's m=65536,t=3,p=4). */
export function needsRehash(phc: string): boolean {
  return !phc.startsWith(CURRENT_PREFIX);
}

/**
 * For an unknown e-mail, spends the same work as verifying a real account's password, so that login time does
 * not reveal whether an account exists. The dummy hash is computed at once, not on the first unknown e-mail
 * (which would then take twice as long), with the parameters of every new hash.
 */
export function createDummyVerifier(): (password: string) => Promise<void> {
  const dummyHash = hashPassword(randomBytes(32).toString('base64url'));
  // Marks a failure as handled until the first unknown e-mail awaits it (and reports it).
  dummyHash.catch(() => undefined);
  return async (password) => {
    await verifyPassword(await dummyHash, password);
  };
}
