import { eq } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { Db } from '../db/client.js';
import type { AccessTokens, Role } from '../modules/auth/auth.tokens.js';
import { users } from '../modules/users/users.table.js';
import { AppError, unauthorized } from './errors.js';

export interface AuthUser {
  id: number;
  email: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the `activeUser` / `admin` guards. */
    user?: AuthUser;
  }
}

export const DEACTIVATED = () =>
  new AppError({
    status: 403,
    detail: 'Account deactivated. Contact support.',
    code: 'AUTH_ACCOUNT_DEACTIVATED',
  });

/** Reads the bearer token from the Authorization header (scheme compared case-insensitively). */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0) return undefined;
  if (header.slice(0, space).toLowerCase() !== 'bearer') return undefined;
  const token = header.slice(space + 1).trim();
  return token || undefined;
}

/**
 * The authorization levels of contract §1.3, with §7.2: one query per request reads the account's
 * activity and role from the database, so a deactivation or demotion takes effect on the next request.
 */
export function createAuthGuards(db: Db, tokens: AccessTokens) {
  async function authenticate(request: FastifyRequest): Promise<AuthUser> {
    const token = bearerToken(request);
    if (!token) throw unauthorized('Not authenticated', 'HTTP_401');
    const result = await tokens.verify(token);
    if (!result.ok) {
      throw result.reason === 'expired'
        ? unauthorized('Access token has expired', 'AUTH_TOKEN_EXPIRED')
        : unauthorized('Invalid access token', 'AUTH_TOKEN_INVALID');
    }
    const id = Number(result.claims.sub);
    const [row] = await db
      .select({ id: users.id, email: users.email, role: users.role, isActive: users.isActive })
      .from(users)
      .where(eq(users.id, id));
    if (!row || !row.isActive) throw DEACTIVATED();
    return { id: row.id, email: row.email, role: row.role };
  }

  const activeUser: preValidationAsyncHookHandler = async (request: FastifyRequest, _reply: FastifyReply) => {
    request.user = await authenticate(request);
  };

  const admin: preValidationAsyncHookHandler = async (request: FastifyRequest, _reply: FastifyReply) => {
    const user = await authenticate(request);
    if (user.role !== 'admin')
      throw new AppError({ status: 403, detail: 'Admin access required', code: 'AUTH_FORBIDDEN' });
    request.user = user;
  };

  return { authenticate, activeUser, admin };
}

export type AuthGuards = ReturnType<typeof createAuthGuards>;

/** The authenticated caller; only valid in routes behind a guard. */
export function currentUser(request: FastifyRequest): AuthUser {
  if (!request.user) throw new Error('route is missing its authentication guard');
  return request.user;
}
