import { notFound } from '../../http/errors.js';

/** The errors of the development mailbox. */

export const messageNotFound = () => notFound('Message not found', 'MESSAGE_NOT_FOUND');
