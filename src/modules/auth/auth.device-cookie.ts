import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The device cookie of the login throttle (OWASP's device-cookie scheme): issued by every successful password
 * login, signed with SECRET_KEY, bound to the account (user id) and naming one device (a random id). Sent back
 * only to POST /auth/login (Path), never readable by scripts (HttpOnly).
 */
export const DEVICE_COOKIE = 'bookstore_device';
export const DEVICE_COOKIE_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;

export interface DeviceClaim {
  userId: number;
  deviceId: string;
}

/** The value of one cookie from a Cookie header, or undefined. */
export function readCookie(cookieHeader: string | undefined, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const trimmed = part.trim();
    if (trimmed.startsWith(`${name}=`)) return trimmed.slice(name.length + 1);
  }
  return undefined;
}

export function createDeviceCookies(secret: string, secure: boolean) {
  const sign = (payload: string) =>
    createHmac('sha256', secret).update(`device-cookie.${payload}`).digest('base64url');
  const attributes = `Path=/auth/login; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;

  /** A new device cookie for this account (a new device id each time). */
  function serialize(userId: number, now: Date): string {
    const exp = Math.floor(now.getTime() / 1000) + DEVICE_COOKIE_MAX_AGE_SECONDS;
    const payload = Buffer.from(
      JSON.stringify({ uid: userId, dev: randomBytes(16).toString('base64url'), exp }),
    ).toString('base64url');
    return `${DEVICE_COOKIE}=${payload}.${sign(payload)}; Max-Age=${DEVICE_COOKIE_MAX_AGE_SECONDS}; ${attributes}`;
  }

  /** The device named by the request's cookie, when it is authentic and not expired (any account). */
  function parse(cookieHeader: string | undefined, now: Date): DeviceClaim | undefined {
    const raw = readCookie(cookieHeader, DEVICE_COOKIE);
    if (!raw || raw.length > 512) return undefined;
    const dot = raw.lastIndexOf('.');
    if (dot < 0) return undefined;
    const payload = raw.slice(0, dot);
    const given = Buffer.from(raw.slice(dot + 1));
    const expected = Buffer.from(sign(payload));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const value = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
        uid?: unknown;
        dev?: unknown;
        exp?: unknown;
      };
      if (typeof value.exp !== 'number' || value.exp * 1000 <= now.getTime()) return undefined;
      if (!Number.isInteger(value.uid) || typeof value.dev !== 'string') return undefined;
      return { userId: value.uid as number, deviceId: value.dev };
    } catch {
      return undefined;
    }
  }

  return { serialize, parse };
}

export type DeviceCookies = ReturnType<typeof createDeviceCookies>;
