import { AppError } from '../../http/errors.js';

/** The errors of image uploads (the reference's HTTPException bodies). */

export const tooLarge = () =>
  new AppError({ status: 413, detail: 'File too large. Max 5 MB.', code: 'HTTP_413' });
export const invalidType = (declared: string | undefined) =>
  new AppError({
    status: 400,
    detail: `Invalid image type '${declared ?? 'None'}'. Allowed: JPEG, PNG, WebP.`,
    code: 'HTTP_400',
  });
