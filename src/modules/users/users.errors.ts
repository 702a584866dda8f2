import { forbidden, notFound } from '../../http/errors.js';

/** The errors of user administration. */

export const cannotDeactivateAdmin = () =>
  forbidden('Cannot deactivate admin accounts', 'ADMN_CANNOT_DEACTIVATE_ADMIN');
export const userNotFound = () => notFound('User not found', 'USER_NOT_FOUND');
