import { z } from 'zod';
import { normalizeEmail } from './auth.email.js';

/** An e-mail address as Pydantic's EmailStr accepts it; the output is the normalised address. */
export const emailField = z
  .string()
  .meta({ format: 'email', example: 'reader@example.com' })
  .transform((value, ctx) => {
    const result = normalizeEmail(value);
    if (result.ok) return result.email;
    ctx.addIssue({
      code: 'custom',
      message: result.reason,
      params: {
        pydantic: {
          type: 'value_error',
          msg: `value is not a valid email address: ${result.reason}`,
          ctx: { reason: result.reason },
        },
      },
    });
    return z.NEVER;
  });

/** A password an account is given (registration, reset): 8 to 256 characters. */
const newPassword = z.string().min(8).max(256);

export const registerBody = z
  .object({
    email: emailField,
    password: newPassword.meta({ example: 'correct horse battery' }),
  })
  .meta({ id: 'UserCreate' });

export const loginBody = z
  .object({
    email: emailField,
    password: z.string().max(256),
  })
  .meta({ id: 'LoginRequest' });

export const refreshTokenBody = z
  .object({
    refresh_token: z.string().meta({ description: 'The refresh token from the last TokenResponse' }),
  })
  .meta({ id: 'RefreshRequest' });

export const googleTokenBody = z
  .object({
    id_token: z.string().meta({ description: 'A Google ID token (JWT) obtained by the client' }),
  })
  .meta({ id: 'GoogleTokenRequest' });

export const googleCallbackQuery = z.object({
  code: z.string().optional().meta({ description: 'Authorization code from Google' }),
  state: z.string().optional().meta({ description: 'The state sent with the redirect to Google' }),
  error: z.string().optional().meta({ description: 'Error code when Google refused the sign-in' }),
  error_description: z.string().optional().meta({ description: "Google's text for that error" }),
});

export const tokenResponse = z
  .object({
    access_token: z.string().meta({ description: 'HS256 JWT for `Authorization: Bearer …`' }),
    refresh_token: z.string().meta({ description: 'Opaque token for POST /auth/refresh (86 characters)' }),
    token_type: z.literal('bearer'),
  })
  .meta({ id: 'TokenResponse' });

export type TokenResponse = z.infer<typeof tokenResponse>;

/** A token from a verification or reset link: 32 random bytes, URL-safe base64 (43 characters). */
const linkToken = z
  .string()
  .min(1)
  .max(128)
  .meta({ description: 'The `token` parameter of the link in the e-mail' });

export const emailBody = z.object({ email: emailField }).meta({ id: 'EmailRequest' });

export const verifyEmailBody = z.object({ token: linkToken }).meta({ id: 'VerifyEmailRequest' });

export const passwordResetConfirmBody = z
  .object({
    token: linkToken,
    password: newPassword.meta({ description: 'The new password (8 to 256 characters)' }),
  })
  .meta({ id: 'PasswordResetConfirmRequest' });

export const messageResponse = z
  .object({ detail: z.string().meta({ description: 'What happened, for people' }) })
  .meta({ id: 'MessageResponse' });
