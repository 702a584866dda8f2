import { randomBytes } from 'node:crypto';
import { createSignedValues } from '../../http/signed-value.js';

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
  const sealed = createSignedValues(secret, 'device-cookie');
  const attributes = `Path=/auth/login; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;

  /** A new device cookie for this account (a new device id each time). */
  function serialize(userId: number, now: Date): string {
    const exp = Math.floor(now.getTime() / 1000) + DEVICE_COOKIE_MAX_AGE_SECONDS;
    const value = sealed.seal({ uid: userId, dev: randomBytes(16).toString('base64url'), exp });
    return `${DEVICE_COOKIE}=${value}; Max-Age=${DEVICE_COOKIE_MAX_AGE_SECONDS}; ${attributes}`;
  }

  /** The device named by the request's cookie, when it is authentic and not expired (any account). */
  function parse(cookieHeader: string | undefined, now: Date): DeviceClaim | undefined {
    const raw = readCookie(cookieHeader, DEVICE_COOKIE);
    if (!raw || raw.length > 512) return undefined;
    const value = sealed.open(raw) as { uid?: unknown; dev?: unknown; exp?: unknown } | null | undefined;
    if (typeof value !== 'object' || value === null) return undefined;
    if (typeof value.exp !== 'number' || value.exp * 1000 <= now.getTime()) return undefined;
    if (!Number.isInteger(value.uid) || typeof value.dev !== 'string') return undefined;
    return { userId: value.uid as number, deviceId: value.dev };
  }

  return { serialize, parse };
}

export type DeviceCookies = ReturnType<typeof createDeviceCookies>;
