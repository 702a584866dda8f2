import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A JSON value sealed with an HMAC-SHA256 under `secret`, bound to `purpose` (a value sealed for one purpose never
 * opens for another): `<base64url JSON>.<base64url MAC>`. Used for the cookies the server reads back.
 */
export function createSignedValues(secret: string, purpose: string) {
  const mac = (payload: string) =>
    createHmac('sha256', secret).update(`${purpose}.${payload}`).digest('base64url');
  return {
    seal(value: unknown): string {
      const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
      return `${payload}.${mac(payload)}`;
    },
    /** The value sealed in `raw`, or undefined when it is malformed or its MAC does not match (constant time). */
    open(raw: string): unknown {
      const dot = raw.lastIndexOf('.');
      if (dot < 0) return undefined;
      const payload = raw.slice(0, dot);
      const given = Buffer.from(raw.slice(dot + 1));
      const expected = Buffer.from(mac(payload));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      try {
        return JSON.parse(Buffer.from(payload, 'base64url').toString()) as unknown;
      } catch {
        return undefined;
      }
    },
  };
}
