import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';

export type Role = 'user' | 'admin';

export interface AccessClaims {
  sub: string;
  role: Role;
  jti: string;
  iat: number;
  exp: number;
}

export type VerifyResult = { ok: true; claims: AccessClaims } | { ok: false; reason: 'expired' | 'invalid' };

/** HS256 access tokens with the contract's claims (sub as a string, role, jti, iat, exp). */
export function createAccessTokens(secret: string, ttlMinutes: number, now: () => Date) {
  const key = new TextEncoder().encode(secret);

  async function sign(userId: number, role: Role): Promise<string> {
    const iat = Math.floor(now().getTime() / 1000);
    return new SignJWT({ role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(userId))
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlMinutes * 60)
      .sign(key);
  }

  async function verify(token: string): Promise<VerifyResult> {
    try {
      const current = now();
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], currentDate: current });
      const nowSec = Math.floor(current.getTime() / 1000);
      if (typeof payload.iat !== 'number' || payload.iat > nowSec) return { ok: false, reason: 'invalid' };
      if (typeof payload.exp !== 'number') return { ok: false, reason: 'invalid' };
      if (typeof payload.sub !== 'string' || !/^\d{1,10}$/.test(payload.sub))
        return { ok: false, reason: 'invalid' };
      if (payload.role !== 'user' && payload.role !== 'admin') return { ok: false, reason: 'invalid' };
      return { ok: true, claims: payload as unknown as AccessClaims };
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
      return { ok: false, reason: 'invalid' };
    }
  }

  return { sign, verify };
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;
