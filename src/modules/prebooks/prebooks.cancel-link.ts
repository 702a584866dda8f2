import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The one-click cancel link of a restock alert (RFC 8058 List-Unsubscribe). Its token is an HMAC-SHA256 of the
 * pre-booking id under a key derived from SECRET_KEY for this one purpose: it names one pre-booking, cannot be
 * forged or guessed without the secret, cannot be turned into another pre-booking's token, and authorises nothing
 * but cancelling that pre-booking (it is not a login). Nothing is stored; rotating SECRET_KEY voids every link.
 */
const PURPOSE = 'bookstore/pre-booking-one-click-cancel/v1';

export function createCancelLinks(secretKey: string, publicBaseUrl: string) {
  const key = createHmac('sha256', secretKey).update(PURPOSE).digest();
  const tokenFor = (preBookingId: number) =>
    createHmac('sha256', key).update(`pre-booking:${preBookingId}`).digest('base64url');

  return {
    tokenFor,
    /** The link for the List-Unsubscribe header and the e-mail's own cancel link. */
    urlFor: (preBookingId: number) =>
      `${publicBaseUrl}/prebooks/${preBookingId}/one-click-cancel?token=${tokenFor(preBookingId)}`,
    /** Constant-time comparison with the expected token; false for anything malformed. */
    verify(preBookingId: number, token: string): boolean {
      const expected = Buffer.from(tokenFor(preBookingId));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

export type CancelLinks = ReturnType<typeof createCancelLinks>;
