import { z } from 'zod';
import { adminPageEnvelope, adminPageQuery, dateTime, idParams, laxBool } from '../../http/schemas.js';

const ROLES = ['user', 'admin'] as const;
export type RoleFilter = (typeof ROLES)[number];

/** `role` query filter; an unknown value is Pydantic's `enum` error, as the reference answers. */
const roleFilter = z
  .string()
  .check((ctx) => {
    if (!(ROLES as readonly string[]).includes(ctx.value)) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: "Input should be 'user' or 'admin'",
        params: {
          pydantic: {
            type: 'enum',
            msg: "Input should be 'user' or 'admin'",
            ctx: { expected: "'user' or 'admin'" },
          },
        },
      });
    }
  })
  .meta({ enum: [...ROLES] });

export const adminUsersQuery = z.object({
  ...adminPageQuery,
  role: roleFilter.optional().meta({ description: 'Only accounts with this role' }),
  is_active: laxBool().optional().meta({ description: 'Only active (true) or deactivated (false) accounts' }),
});
export type AdminUsersQuery = z.infer<typeof adminUsersQuery>;

export const userIdParams = idParams('user_id', 'Id of the account');

export const adminUserResponse = z
  .object({
    id: z.int(),
    email: z.string(),
    full_name: z.null(),
    role: z.enum(ROLES),
    is_active: z.boolean(),
    created_at: dateTime,
  })
  .meta({ id: 'AdminUserResponse' });
export type AdminUserResponse = z.infer<typeof adminUserResponse>;

export const userListResponse = adminPageEnvelope(adminUserResponse).meta({ id: 'UserListResponse' });
