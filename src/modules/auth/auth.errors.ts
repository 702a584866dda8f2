import { AppError, badRequest, conflict, unauthorized } from '../../http/errors.js';

/** The errors of sign-in, sessions and account e-mails (contract §2 and §7.16). */

export const invalidCredentials = () => unauthorized('Invalid email or password', 'AUTH_INVALID_CREDENTIALS');
export const userInactive = () => unauthorized('User not found or inactive', 'AUTH_USER_INACTIVE');
export const refreshInvalid = () => unauthorized('Invalid or expired refresh token', 'AUTH_REFRESH_INVALID');
export const tokenReuse = () =>
  unauthorized('Refresh token reuse detected — all sessions revoked', 'AUTH_TOKEN_REUSE');
export const verifyTokenInvalid = () =>
  badRequest('Invalid or expired verification link', 'AUTH_VERIFY_TOKEN_INVALID', 'token');
export const resetTokenInvalid = () =>
  badRequest('Invalid or expired password reset link', 'AUTH_RESET_TOKEN_INVALID', 'token');
export const oauthOnlyAccount = () =>
  badRequest(
    'This account uses social login. Please log in with Google or GitHub.',
    'AUTH_OAUTH_ONLY_ACCOUNT',
  );
export const emailConflict = () => conflict('Email already registered', 'AUTH_EMAIL_CONFLICT', 'email');
export const loginThrottled = (seconds: number) =>
  new AppError({
    status: 429,
    detail: `Too many failed login attempts, retry in ${seconds} seconds`,
    code: 'RATE_LIMITED',
    headers: { 'Retry-After': String(seconds) },
  });

/** The message the upstream backend gives when the OAuth state does not match. */
export const OAUTH_STATE_MISMATCH = 'CSRF Warning! State not equal in request and response.';
export const oauthFailed = (description: string) =>
  unauthorized(`Google authentication failed: ${description}`, 'AUTH_OAUTH_FAILED');
export const oauthNoEmail = () => unauthorized('Could not retrieve email from Google', 'AUTH_OAUTH_NO_EMAIL');
export const oauthEmailUnverified = () =>
  unauthorized('Google email is not verified', 'AUTH_OAUTH_EMAIL_UNVERIFIED');
export const googleTokenInvalid = () => unauthorized('Invalid Google token', 'AUTH_GOOGLE_INVALID_TOKEN');
export const oauthNotConfigured = () =>
  new AppError({ status: 503, detail: 'OAuth not configured', code: 'AUTH_OAUTH_NOT_CONFIGURED' });
export const oauthUnavailable = () =>
  new AppError({
    status: 503,
    detail: 'Google sign-in is temporarily unavailable',
    code: 'AUTH_OAUTH_UNAVAILABLE',
    headers: { 'Retry-After': '5' },
  });
