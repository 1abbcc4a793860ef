// The account file as the gateway last read or wrote it, and the one writer of it. An edit
// (the admin API's add, change, remove) is made on that text's JSON, so comment keys
// (`_…`/`$…`), "defaults", the order of identities and every untouched field stay as they
// were; the result is validated like the file itself, written atomically (a temp file beside
// it, fsync, rename, the file's mode and owner kept) and only then applied to the pool.
// A file changed on disk since the gateway read it is never overwritten: reload it first.
// Loads, reloads and edits run one at a time, so two edits never lose one another.

import { randomBytes } from 'node:crypto';
import { open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { clientText, GatewayError } from '../errors.ts';
import { parseAccounts, parseAccountsText, readAccountsText } from './accounts-file.ts';
import type { IdentityConfig } from './identity-config.ts';

/** The file's JSON: "identities" is an array of objects (the file was valid when read). */
export type AccountsDocument = Record<string, unknown> & { identities: Record<string, unknown>[] };
export type AccountsEdit = (doc: AccountsDocument) => void;

export interface AccountsStoreOptions {
  /** Replaces the atomic write (tests: a disk that fails). */
  write?: (path: string, text: string) => Promise<void>;
}

export class AccountsFileStore {
  /** The text the running pool was built from (null until load()). */
  private known: string | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly write: (path: string, text: string) => Promise<void>;

  constructor(
    readonly path: string,
    options: AccountsStoreOptions = {},
  ) {
    this.write = options.write ?? writeFileAtomically;
  }

  /** Reads and validates the file (start-up); its text becomes the version the gateway runs. Throws AccountsFileError. */
  load(): Promise<IdentityConfig[]> {
    return this.exclusive(() => this.read());
  }

  /** Re-reads the file (SIGHUP, POST /admin/reload) and hands the identities to `apply`; a refused file changes nothing. */
  reload<R>(apply: (identities: IdentityConfig[]) => R): Promise<R> {
    return this.exclusive(async () => apply(await this.read()));
  }

  /**
   * Makes `edit` on the file as last read or written, validates the result (AccountsFileError
   * when refused), writes it and hands the identities to `apply`. Throws GatewayError
   * accounts_file_changed when the file on disk is no longer that text, accounts_write_failed
   * when it cannot be written; either way nothing changed.
   */
  edit<R>(edit: AccountsEdit, apply: (identities: IdentityConfig[]) => R): Promise<R> {
    return this.exclusive(async () => {
      const known = this.known;
      if (known === null) throw new Error('AccountsFileStore.edit() before load()');
      await this.assertUnchanged(known);
      const doc = JSON.parse(known) as AccountsDocument;
      edit(doc);
      const identities = parseAccounts(doc, this.path);
      const text = serialise(doc, known);
      // Once more just before replacing it: an operator saving meanwhile keeps their edit.
      await this.assertUnchanged(known);
      try {
        await this.write(this.path, text);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        throw new GatewayError(
          'accounts_write_failed',
          `Could not write the account file ${this.path} (${code}); nothing was changed. The gateway writes a temp file in the same directory and renames it over the file: it needs write access to both.`,
        );
      }
      this.known = text;
      return apply(identities);
    });
  }

  /** A copy of the file's JSON as last read or written (null before load()). */
  document(): AccountsDocument | null {
    return this.known === null ? null : (JSON.parse(this.known) as AccountsDocument);
  }

  private async read(): Promise<IdentityConfig[]> {
    const text = await readAccountsText(this.path);
    const { identities } = parseAccountsText(text, this.path);
    this.known = text;
    return identities;
  }

  private async assertUnchanged(known: string): Promise<void> {
    // Read as load() reads it, so the two texts compare byte for byte.
    const current = await readAccountsText(this.path).catch(() => null);
    if (current === known) return;
    throw new GatewayError(
      'accounts_file_changed',
      `The account file ${this.path} ${current === null ? 'can no longer be read' : 'was changed on disk'} since the gateway last read it, so it was not overwritten. ` +
        'Reload it first (POST /admin/reload or SIGHUP), then make this change again.',
    );
  }

  private exclusive<R>(task: () => Promise<R>): Promise<R> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => {});
    return run;
  }
}

// ---- edits --------------------------------------------------------------------------------

/** The identity's entry in the file (ids are compared trimmed, as the file reader does). */
export function findEntry(doc: AccountsDocument, id: string): Record<string, unknown> | undefined {
  return doc.identities.find((entry) => typeof entry.id === 'string' && entry.id.trim() === id);
}

/** Appends an identity: `id` first, then the fields in the order given (null values left out). */
export const addEntry =
  (id: string, fields: Readonly<Record<string, unknown>>): AccountsEdit =>
  (doc) => {
    if (findEntry(doc, id)) {
      throw new GatewayError('identity_exists', `The pool already has an identity ${clientText(id)}: change it with PATCH /admin/identities/{id}, or pick another id.`, { param: 'id' });
    }
    const entry: Record<string, unknown> = {};
    setField(entry, 'id', id);
    for (const [key, value] of Object.entries(fields)) if (value !== null) setField(entry, key, value);
    doc.identities.push(entry);
  };

/** Sets the fields given in place (a new field goes last); null removes a field, so its default applies. */
export const patchEntry =
  (id: string, changes: Readonly<Record<string, unknown>>): AccountsEdit =>
  (doc) => {
    const entry = findEntry(doc, id) ?? notFound(id);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) delete entry[key];
      else setField(entry, key, value);
    }
  };

export const removeEntry =
  (id: string): AccountsEdit =>
  (doc) => {
    const entry = findEntry(doc, id) ?? notFound(id);
    if (doc.identities.length === 1) {
      throw new GatewayError(
        'last_identity',
        `${clientText(id)} is the only identity in the account file, which must keep at least one: add another first, or disable this one (PATCH with {"enabled": false}).`,
      );
    }
    doc.identities.splice(doc.identities.indexOf(entry), 1);
  };

function notFound(id: string): never {
  throw new GatewayError('identity_not_found', `No identity ${clientText(id)} in the account file. GET /admin/identities lists them.`);
}

/** An own property even for "__proto__" (a comment key by its underscore): plain assignment would set the prototype. */
function setField(entry: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(entry, key, { value, enumerable: true, writable: true, configurable: true });
}

// ---- the file on disk ---------------------------------------------------------------------

/** JSON in the file's own indentation and line endings. */
function serialise(doc: AccountsDocument, previous: string): string {
  const indent = /^([ \t]+)\S/m.exec(previous)?.[1] ?? '  ';
  const text = `${JSON.stringify(doc, null, indent)}\n`;
  return previous.includes('\r\n') ? text.replace(/\n/g, '\r\n') : text;
}

/**
 * Replaces the file so that a reader (or a crash) sees the old or the new content, never a
 * part: a temp file in the same directory, written and fsynced, then renamed over it. A
 * symlink is followed (the file it points to is replaced); the mode and, where allowed, the
 * owner are kept.
 */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const target = await realpath(path);
  const { mode, uid, gid } = await stat(target);
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode & 0o777);
  try {
    try {
      // open() applies the umask: set the mode exactly (a 0600 file stays 0600, a 0664 one 0664).
      await handle.chmod(mode & 0o7777);
      await handle.chown(uid, gid).catch(() => {});
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  // The rename itself is durable once the directory is synced (not every file system allows it).
  await open(dir, 'r')
    .then(async (d) => {
      await d.sync().catch(() => {});
      await d.close();
    })
    .catch(() => {});
}
