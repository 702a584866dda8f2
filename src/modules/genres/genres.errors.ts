import { conflict } from '../../http/errors.js';

/** The errors of genres. */

export const genreConflict = () => conflict('Genre already exists', 'GENRE_CONFLICT', 'name');
