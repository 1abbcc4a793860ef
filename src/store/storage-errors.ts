// Which SQLite failures mean "the storage is failing" (disk full, I/O error, read-only or
// vanished file, locked by another process) rather than a bug in the gateway, and the error a
// client gets for them (503). A bug (a constraint, bad SQL) stays an internal error.

import { SQLiteError } from 'bun:sqlite';
import { GatewayError } from '../errors.ts';

const STORAGE_CODES = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY|LOCKED|NOMEM|CORRUPT|NOTADB|PROTOCOL|NOLFS)(_|$)/;

export function isStorageFailure(error: unknown): error is SQLiteError & { code: string } {
  return error instanceof SQLiteError && typeof error.code === 'string' && STORAGE_CODES.test(error.code);
}

/** The answer to a request whose storing (or deleting) failed: 503, retry later; nothing was changed. */
export const storageUnavailable = () =>
  new GatewayError(
    'storage_unavailable',
    'The gateway cannot save conversations right now (its storage is failing), so this request was not carried out. Retry in a moment.',
  );
