import { z } from 'zod';
import { adminPageQuery, dateTime, laxBool, laxInt } from '../../http/schemas.js';

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
  role: roleFilter.optional(),
  is_active: laxBool().optional(),
});
export type AdminUsersQuery = z.infer<typeof adminUsersQuery>;

export const userIdParams = z.object({ user_id: laxInt() });

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
