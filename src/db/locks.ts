import { sql } from 'drizzle-orm';
import type { Tx } from './client.js';

/**
 * The per-user collections with a cap (README "Bounded per-user collections and streams"). Each has its own key
 * space of transaction-level advisory locks (the two-int form: `pg_advisory_xact_lock(collection, user id)`;
 * graphile-worker's locks use the one-bigint form, a separate space).
 */
const COLLECTION_LOCK = { cart: 1001, wishlist: 1002, prebooks: 1003 } as const;

/**
 * Serialises the additions to one user's collection until the transaction ends, so that "count, then insert if
 * under the cap" cannot let two concurrent additions both pass the count. Taken before any row lock of the use
 * case (always in this order), held for a few statements; additions of other users never wait.
 */
export async function lockUserCollection(
  tx: Tx,
  collection: keyof typeof COLLECTION_LOCK,
  userId: number,
): Promise<void> {
  // Drizzle has no advisory-lock builder.
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${COLLECTION_LOCK[collection]}::int, ${userId}::int)`);
}
