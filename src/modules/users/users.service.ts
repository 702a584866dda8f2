import type { Tx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { isoDateTime } from '../../http/schemas.js';
import * as repo from './users.repository.js';
import type { AdminUserResponse, AdminUsersQuery, RoleFilter } from './users.schemas.js';
import type { UserRow } from './users.table.js';
import { cannotDeactivateAdmin, userNotFound } from './users.errors.js';

function toAdminUser(row: UserRow): AdminUserResponse {
  return {
    id: row.id,
    email: row.email,
    full_name: null,
    role: row.role,
    is_active: row.isActive,
    created_at: isoDateTime(row.createdAt),
  };
}

/** What deactivation needs of the sessions (auth's endAllSessions, given by the composition root). */
export interface Sessions {
  /** Ends every session of the user inside the caller's transaction. */
  endAll(tx: Tx, userId: number, at: Date): Promise<unknown>;
}

export function createUsersService({ db, clock }: Deps, sessions: Sessions) {
  return {
    async listUsers(query: AdminUsersQuery) {
      const { rows, total } = await repo.listUsers(
        db,
        { role: query.role as RoleFilter | undefined, isActive: query.is_active },
        query.per_page,
        (query.page - 1) * query.per_page,
      );
      return { items: rows.map(toAdminUser), total };
    },

    /** Locks the account out at once: inactive, and every refresh token revoked, in one transaction. */
    async deactivateUser(userId: number): Promise<AdminUserResponse> {
      const row = await db.transaction(async (tx) => {
        const user = await repo.lockUser(tx, userId);
        if (!user) throw userNotFound();
        if (user.role === 'admin') throw cannotDeactivateAdmin();
        if (!user.isActive) return user;
        await sessions.endAll(tx, userId, clock.now());
        return repo.setUserActive(tx, userId, false);
      });
      if (!row) throw userNotFound();
      return toAdminUser(row);
    },

    async reactivateUser(userId: number): Promise<AdminUserResponse> {
      const row = await repo.setUserActive(db, userId, true);
      if (!row) throw userNotFound();
      return toAdminUser(row);
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
