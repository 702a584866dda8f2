import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../../http/route-context.js';
import { errorResponses } from '../../http/schemas.js';
import {
  emailBody,
  googleCallbackQuery,
  googleTokenBody,
  loginBody,
  messageResponse,
  passwordResetConfirmBody,
  refreshTokenBody,
  registerBody,
  tokenResponse,
  verifyEmailBody,
} from './auth.schemas.js';
import { PASSWORD_RESET_VALID_HOURS, VERIFY_EMAIL_VALID_HOURS } from './auth.jobs.js';
import { ACCOUNT_EMAILS_PER_ADDRESS_PER_HOUR } from './auth.service.js';
import { clientKey } from './auth.rate-limit.js';

export const authRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { deps, services }) => {
  const service = services.auth;
  const google = services.google;
  // Google endpoints answer 503 while GOOGLE_CLIENT_ID is unset, before any validation.
  const googleConfigured = async () => google.assertConfigured();
  const rateLimit = { max: deps.config.AUTH_RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 };
  const registerRateLimit = { max: deps.config.REGISTER_RATE_LIMIT_PER_HOUR, timeWindow: 60 * 60_000 };
  const accountEmailRateLimit = {
    max: deps.config.ACCOUNT_EMAIL_RATE_LIMIT_PER_HOUR,
    timeWindow: 60 * 60_000,
  };

  app.post(
    '/auth/register',
    {
      config: { rateLimit: registerRateLimit },
      schema: {
        tags: ['auth'],
        operationId: 'register',
        summary: 'Create an account and start a session',
        description:
          'E-mail addresses are unique regardless of case. Passwords are 8 to 256 characters. ' +
          'Answers a new access token and the first refresh token of a new session.',
        body: registerBody,
        response: { 201: tokenResponse, ...errorResponses(409, 413, 415, 422, 429) },
        responseDescriptions: {
          201: 'The new account is signed in',
          409: 'The e-mail address is registered already (AUTH_EMAIL_CONFLICT)',
        },
      },
    },
    async (request, reply) => {
      const tokens = await service.register(request.body.email, request.body.password);
      return reply.code(201).send(tokens);
    },
  );

  app.post(
    '/auth/login',
    {
      config: { rateLimit },
      schema: {
        tags: ['auth'],
        operationId: 'login',
        summary: 'Log in with e-mail and password',
        description:
          'The e-mail matches regardless of case. 401 for an unknown e-mail or a wrong password; ' +
          '400 for an account that signs in with Google only; 403 for a deactivated account. Failed ' +
          'attempts are throttled (429): LOGIN_MAX_FAILURES within 15 minutes per e-mail and client address ' +
          '(or per e-mail and device, for a client that presents the HttpOnly device cookie ' +
          '`bookstore_device` set by an earlier successful login of that account), and ' +
          'LOGIN_MAX_FAILURES_PER_ACCOUNT per e-mail from all clients without such a cookie. A correct ' +
          "password with a valid device cookie is never locked out by other clients' failures.",
        body: loginBody,
        response: { 200: tokenResponse, ...errorResponses(400, 401, 403, 413, 415, 422, 429) },
        responseDescriptions: {
          200: 'Signed in: a new session',
          400: 'The account signs in with Google only (AUTH_OAUTH_ONLY_ACCOUNT)',
          401: 'Unknown e-mail or wrong password (AUTH_INVALID_CREDENTIALS)',
          403: 'The account is deactivated (AUTH_ACCOUNT_DEACTIVATED)',
          429: 'Too many attempts (RATE_LIMITED): per address, or failed logins of this e-mail',
        },
      },
    },
    async (request, reply) => {
      const { tokens, deviceCookie } = await service.login(request.body.email, request.body.password, {
        address: clientKey(request.ip),
        cookie: request.headers.cookie,
      });
      void reply.header('set-cookie', deviceCookie);
      return tokens;
    },
  );

  app.post(
    '/auth/refresh',
    {
      config: { rateLimit },
      schema: {
        tags: ['auth'],
        operationId: 'refreshTokens',
        summary: 'Exchange a refresh token for a new token pair',
        description:
          'The presented refresh token is revoked and a new one of the same session is issued. ' +
          'Presenting a revoked token again ends the whole session (401 AUTH_TOKEN_REUSE).',
        body: refreshTokenBody,
        response: { 200: tokenResponse, ...errorResponses(401, 413, 415, 422, 429) },
        responseDescriptions: {
          200: 'A new token pair of the same session',
          401: 'Invalid or expired (AUTH_REFRESH_INVALID), reused (AUTH_TOKEN_REUSE), or inactive user (AUTH_USER_INACTIVE)',
        },
      },
    },
    async (request) => service.refresh(request.body.refresh_token),
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        tags: ['auth'],
        operationId: 'logout',
        summary: 'Revoke a refresh token',
        description:
          'Revokes the given refresh token (its session ends; other sessions stay). A token that was already ' +
          'revoked (e.g. rotated by a refresh) is treated as reuse and ends its whole session. Unknown tokens ' +
          'are ignored; always 204.',
        body: refreshTokenBody,
        response: { 204: z.null().meta({ description: 'Logged out' }), ...errorResponses(413, 415, 422) },
      },
    },
    async (request, reply) => {
      await service.logout(request.body.refresh_token);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/auth/verify-email',
    {
      config: { rateLimit },
      schema: {
        tags: ['auth'],
        operationId: 'verifyEmail',
        summary: 'Confirm an e-mail address with the token of a verification link',
        description:
          `Registration (and POST /auth/verify-email/resend) e-mails a link \`\${STORE_URL}/verify-email?token=…\`, ` +
          `valid ${VERIFY_EMAIL_VALID_HOURS} hours and single-use; the storefront page posts its token here. ` +
          '400 AUTH_VERIFY_TOKEN_INVALID for an unknown, used or expired token. Logging in never requires a ' +
          'verified address; an unverified one only loses its password when its address is signed in with Google.',
        body: verifyEmailBody,
        response: { 200: messageResponse, ...errorResponses(400, 413, 415, 422, 429) },
        responseDescriptions: {
          200: 'The address is verified',
          400: 'Unknown, used or expired token (AUTH_VERIFY_TOKEN_INVALID)',
        },
      },
    },
    async (request) => {
      await service.verifyEmail(request.body.token);
      return { detail: 'Email address verified' };
    },
  );

  app.post(
    '/auth/verify-email/resend',
    {
      config: { rateLimit: accountEmailRateLimit },
      schema: {
        tags: ['auth'],
        operationId: 'resendVerificationEmail',
        summary: 'Send the verification e-mail again',
        description:
          'Always 202 with the same body, whether or not an account with this address exists or needs ' +
          'verification (no account enumeration); the e-mail goes out only to an active, unverified account. ' +
          `At most ${ACCOUNT_EMAILS_PER_ADDRESS_PER_HOUR} account e-mails per address and hour; ` +
          'ACCOUNT_EMAIL_RATE_LIMIT_PER_HOUR requests per client address and hour (429).',
        body: emailBody,
        response: { 202: messageResponse, ...errorResponses(413, 415, 422, 429) },
        responseDescriptions: { 202: 'Accepted; the same answer whether or not the e-mail goes out' },
      },
    },
    async (request, reply) => {
      await service.resendVerification(request.body.email);
      return reply.code(202).send({
        detail:
          'If this address belongs to an account that is not verified yet, a verification e-mail is on its way.',
      });
    },
  );

  app.post(
    '/auth/password-reset',
    {
      config: { rateLimit: accountEmailRateLimit },
      schema: {
        tags: ['auth'],
        operationId: 'requestPasswordReset',
        summary: 'Ask for a password-reset e-mail',
        description:
          `E-mails a link \`\${STORE_URL}/reset-password?token=…\`, valid ${PASSWORD_RESET_VALID_HOURS} hour ` +
          'and single-use. Always 202 with the same body, whether or not an account exists (no account ' +
          `enumeration, also in timing: the same work is done in both cases). At most ` +
          `${ACCOUNT_EMAILS_PER_ADDRESS_PER_HOUR} account e-mails per address and hour; ` +
          'ACCOUNT_EMAIL_RATE_LIMIT_PER_HOUR requests per client address and hour (429).',
        body: emailBody,
        response: { 202: messageResponse, ...errorResponses(413, 415, 422, 429) },
        responseDescriptions: { 202: 'Accepted; the same answer whether or not an account exists' },
      },
    },
    async (request, reply) => {
      await service.requestPasswordReset(request.body.email);
      return reply.code(202).send({
        detail: 'If an account exists for this address, an e-mail with a password reset link is on its way.',
      });
    },
  );

  app.post(
    '/auth/password-reset/confirm',
    {
      config: { rateLimit },
      schema: {
        tags: ['auth'],
        operationId: 'confirmPasswordReset',
        summary: 'Set a new password with the token of a reset link',
        description:
          'The new password (8 to 256 characters) replaces the old one; the token is used up, as are the ' +
          "account's other reset links; every session of the account ends (all refresh tokens revoked); the " +
          'address counts as verified. 400 AUTH_RESET_TOKEN_INVALID for an unknown, used or expired token.',
        body: passwordResetConfirmBody,
        response: { 200: messageResponse, ...errorResponses(400, 413, 415, 422, 429) },
        responseDescriptions: {
          200: 'The password is changed and every session ended',
          400: 'Unknown, used or expired token (AUTH_RESET_TOKEN_INVALID)',
        },
      },
    },
    async (request) => {
      await service.resetPassword(request.body.token, request.body.password);
      return { detail: 'Password changed; please log in again' };
    },
  );

  app.get(
    '/auth/google',
    {
      preValidation: googleConfigured,
      schema: {
        tags: ['auth'],
        operationId: 'startGoogleSignIn',
        summary: 'Start Google sign-in (redirect to Google)',
        description:
          'Redirects (302) to the Google consent page with `state`, `nonce` and PKCE; the state is kept in a ' +
          'signed HttpOnly cookie `session` for 10 minutes. 503 AUTH_OAUTH_NOT_CONFIGURED while ' +
          'GOOGLE_CLIENT_ID is unset.',
        response: {
          302: z.null().meta({ description: 'Redirect to the authorization endpoint (Location header)' }),
          ...errorResponses(503),
        },
        responseDescriptions: { 503: 'Google sign-in is not configured (AUTH_OAUTH_NOT_CONFIGURED)' },
      },
    },
    async (_request, reply) => {
      const { location, cookie } = await google.begin();
      return reply.header('set-cookie', cookie).redirect(location, 302);
    },
  );

  app.get(
    '/auth/google/callback',
    {
      preValidation: googleConfigured,
      schema: {
        tags: ['auth'],
        operationId: 'finishGoogleSignIn',
        summary: 'Finish Google sign-in (Google redirects the browser here)',
        description:
          'Checks `state` against the `session` cookie (a state is good for one callback only: a replay is ' +
          '401 AUTH_OAUTH_FAILED), exchanges the code, verifies the ID token and signs ' +
          'in: the account linked to this Google identity, else the account with that e-mail (which gets ' +
          'linked), else a new account without password.',
        querystring: googleCallbackQuery,
        response: { 200: tokenResponse, ...errorResponses(401, 422, 503) },
        responseDescriptions: {
          200: 'Signed in: a new session',
          401: 'Sign-in failed (AUTH_OAUTH_FAILED, AUTH_OAUTH_NO_EMAIL, AUTH_OAUTH_EMAIL_UNVERIFIED, AUTH_USER_INACTIVE)',
          503: 'Google sign-in is not configured (AUTH_OAUTH_NOT_CONFIGURED)',
        },
      },
    },
    async (request, reply) => {
      if (request.headers.cookie?.includes('session='))
        void reply.header('set-cookie', google.clearStateCookie());
      return google.callback(request.query, request.headers.cookie);
    },
  );

  app.post(
    '/auth/google/token',
    {
      preValidation: googleConfigured,
      config: { rateLimit },
      schema: {
        tags: ['auth'],
        operationId: 'exchangeGoogleIdToken',
        summary: 'Sign in with a Google ID token',
        description:
          'For clients that obtained a Google ID token themselves (e.g. NextAuth). The token is verified ' +
          "against the issuer's keys, with audience GOOGLE_CLIENT_ID; same account linking as the callback.",
        body: googleTokenBody,
        response: { 200: tokenResponse, ...errorResponses(401, 413, 415, 422, 429, 503) },
        responseDescriptions: {
          200: 'Signed in: a new session',
          401: 'The token is not valid (AUTH_GOOGLE_INVALID_TOKEN), the e-mail is unverified, or the account inactive',
          503: 'Google sign-in is not configured (AUTH_OAUTH_NOT_CONFIGURED)',
        },
      },
    },
    async (request) => google.exchangeIdToken(request.body.id_token),
  );
};
