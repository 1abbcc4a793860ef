// AccountsFileStore against real files in a temp directory: edits keep everything they do
// not touch (comment keys, "defaults", order, indentation, the mode), land atomically, never
// overwrite a file changed by hand, run one at a time, and change nothing when refused.

import { describe, expect, test } from 'bun:test';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../../src/errors.ts';
import { AccountsFileError } from '../../src/pool/accounts-file.ts';
import { addEntry, AccountsFileStore, patchEntry, removeEntry } from '../../src/pool/accounts-writer.ts';
import type { IdentityConfig } from '../../src/pool/identity-config.ts';

/** A hand-written file: 4-space indentation, comments at the top and inside identities. */
const HAND_WRITTEN = `{
    "$schema": "./accounts.schema.json",
    "_comment": ["the pool", "keys starting with _ or $ are comments"],
    "defaults": { "maxConcurrent": 2, "rpm": 20, "_why": "be gentle" },
    "identities": [
        { "id": "a", "_note": "main account", "cookies": "kimi_visitor=a", "weight": 2 },
        { "id": "b", "cookies": "kimi_visitor=b", "rpm": 5, "$tag": "spare" },
        { "id": "c", "enabled": false }
    ],
    "_footer": { "owner": "ops" }
}
`;

function fileWith(text: string, mode = 0o600): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kimi-gw-writer-')), 'accounts.json');
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

async function loaded(text = HAND_WRITTEN, mode = 0o600) {
  const path = fileWith(text, mode);
  const store = new AccountsFileStore(path);
  await store.load();
  return { path, store, json: () => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> & { identities: Record<string, unknown>[] } };
}

const ids = (identities: IdentityConfig[]) => identities.map((i) => i.id);
const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => new Error('resolved'), (error: unknown) => error);

describe('AccountsFileStore edits', () => {
  test('keep comment keys and their order, defaults, the order of identities and every untouched field', async () => {
    const { path, store, json } = await loaded();
    const applied: string[][] = [];
    const apply = (identities: IdentityConfig[]) => applied.push(ids(identities));

    await store.edit(patchEntry('b', { rpm: 9, cookies: 'kimi_visitor=b2', $tag: null, weight: 3 }), apply);
    await store.edit(addEntry('d', { cookies: 'kimi_visitor=d', _note: 'added', rpm: null }), apply);
    await store.edit(removeEntry('a'), apply);

    const after = json();
    expect(Object.keys(after)).toEqual(['$schema', '_comment', 'defaults', 'identities', '_footer']);
    expect(after.$schema).toBe('./accounts.schema.json');
    expect(after._comment).toEqual(['the pool', 'keys starting with _ or $ are comments']);
    expect(after.defaults).toEqual({ maxConcurrent: 2, rpm: 20, _why: 'be gentle' });
    expect(after._footer).toEqual({ owner: 'ops' });
    // b: changed fields in place, a removed one gone, a new one last; c untouched; d last with its fields in the order given.
    expect(after.identities.map((e) => Object.entries(e))).toEqual([
      [['id', 'b'], ['cookies', 'kimi_visitor=b2'], ['rpm', 9], ['weight', 3]],
      [['id', 'c'], ['enabled', false]],
      [['id', 'd'], ['cookies', 'kimi_visitor=d'], ['_note', 'added']],
    ]);
    expect(applied).toEqual([['a', 'b', 'c'], ['a', 'b', 'c', 'd'], ['b', 'c', 'd']]);
    // Written in the file's own indentation, ending with a newline.
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('\n    "identities": [\n        {\n            "id": "b"');
    expect(text.endsWith('}\n')).toBe(true);
  });

  test('apply gets the identities as the file reader makes them (defaults applied)', async () => {
    const { store } = await loaded();
    const identities = await store.edit(patchEntry('a', { maxConcurrent: 7 }), (next) => next);
    expect(identities.find((i) => i.id === 'a')).toMatchObject({ maxConcurrent: 7, rpm: 20, weight: 2 });
    expect(identities.find((i) => i.id === 'b')).toMatchObject({ maxConcurrent: 2, rpm: 5 });
  });

  test('keep the file mode exactly (the umask does not widen or narrow it)', async () => {
    for (const mode of [0o600, 0o640, 0o664]) {
      const { path, store } = await loaded(HAND_WRITTEN, mode);
      await store.edit(patchEntry('a', { rpm: 1 }), () => {});
      expect({ mode: (statSync(path).mode & 0o777).toString(8) }).toEqual({ mode: mode.toString(8) });
    }
  });

  test('leave no temp file behind, and replace a symlinked file where it lives', async () => {
    const { path } = await loaded();
    const dir = join(path, '..');
    const link = join(mkdtempSync(join(tmpdir(), 'kimi-gw-link-')), 'accounts.json');
    symlinkSync(path, link);
    const store = new AccountsFileStore(link);
    await store.load();
    await store.edit(patchEntry('a', { rpm: 3 }), () => {});
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect((JSON.parse(readFileSync(path, 'utf8')) as { identities: { rpm?: number }[] }).identities[0]!.rpm).toBe(3);
    expect(readdirSync(dir)).toEqual(['accounts.json']);
  });

  test('a __proto__ key (a comment by its underscore) stays an ordinary key', async () => {
    const { store, json } = await loaded();
    const identities = await store.edit(addEntry('p', JSON.parse('{"__proto__": {"rpm": 99}}') as Record<string, unknown>), (next) => next);
    expect(identities.find((i) => i.id === 'p')!.rpm).toBe(20);
    const added = json().identities.at(-1)!;
    expect(Object.keys(added)).toEqual(['id', '__proto__']);
    expect(Object.getPrototypeOf(added)).toBe(Object.prototype);
  });
});

describe('AccountsFileStore refusals change nothing', () => {
  test('a file changed by hand since it was read is not overwritten; after a reload edits work again', async () => {
    const { path, store, json } = await loaded();
    const handEdit = HAND_WRITTEN.replace('"rpm": 5', '"rpm": 6');
    writeFileSync(path, handEdit);
    let applied = 0;
    const error = await rejectionOf(store.edit(patchEntry('a', { rpm: 1 }), () => applied++));
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).errorCode).toBe('accounts_file_changed');
    expect((error as GatewayError).message).toContain('POST /admin/reload');
    expect(readFileSync(path, 'utf8')).toBe(handEdit);
    expect(applied).toBe(0);

    expect(ids(await store.reload((next) => next))).toEqual(['a', 'b', 'c']);
    await store.edit(patchEntry('a', { rpm: 1 }), () => applied++);
    expect(applied).toBe(1);
    expect(json().identities.map((e) => e.rpm)).toEqual([1, 6, undefined]);
  });

  test('a deleted file is reported as changed, not recreated', async () => {
    const { path, store } = await loaded();
    await Bun.file(path).delete();
    const error = await rejectionOf(store.edit(patchEntry('a', { rpm: 1 }), () => {}));
    expect((error as GatewayError).errorCode).toBe('accounts_file_changed');
    expect(await Bun.file(path).exists()).toBe(false);
  });

  test('an edit the file reader refuses names the identity and field and writes nothing', async () => {
    const { path, store } = await loaded();
    const error = await rejectionOf(store.edit(patchEntry('b', { weight: -1 }), () => {}));
    expect(error).toBeInstanceOf(AccountsFileError);
    expect((error as AccountsFileError).problem).toBe('identity "b": "weight": must be a number ≥ 0.001 (got -1)');
    expect(readFileSync(path, 'utf8')).toBe(HAND_WRITTEN);
  });

  test('adding an id that exists, removing the last identity, touching one that does not exist', async () => {
    const { path, store } = await loaded('{"identities":[{"id":"only"}]}');
    const codes = await Promise.all(
      [addEntry('only', {}), removeEntry('only'), patchEntry('ghost', { rpm: 1 }), removeEntry('ghost')].map(async (edit) =>
        ((await rejectionOf(store.edit(edit, () => {}))) as GatewayError).errorCode,
      ),
    );
    expect(codes).toEqual(['identity_exists', 'last_identity', 'identity_not_found', 'identity_not_found']);
    expect(readFileSync(path, 'utf8')).toBe('{"identities":[{"id":"only"}]}');
  });

  test('a failed write is reported, changes nothing, and the next edit starts from the file as it is', async () => {
    const path = fileWith(HAND_WRITTEN);
    let failNext = true;
    const store = new AccountsFileStore(path, {
      write: async (target, text) => {
        if (failNext) {
          failNext = false;
          throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
        }
        writeFileSync(target, text);
      },
    });
    await store.load();
    let applied = 0;
    const error = await rejectionOf(store.edit(patchEntry('a', { rpm: 1 }), () => applied++));
    expect((error as GatewayError).errorCode).toBe('accounts_write_failed');
    expect((error as GatewayError).message).toContain('EIO');
    expect(applied).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(HAND_WRITTEN);
    await store.edit(patchEntry('a', { rpm: 2 }), () => applied++);
    expect(applied).toBe(1);
  });
});

describe('AccountsFileStore concurrency', () => {
  test('edits started together run one at a time: none is lost or refused', async () => {
    const { store, json } = await loaded();
    const results = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => store.edit(addEntry(`n${i}`, { rpm: i }), () => 'ok')),
      store.edit(patchEntry('a', { rpm: 11 }), () => 'ok'),
      store.edit(patchEntry('a', { weight: 5 }), () => 'ok'),
      store.edit(patchEntry('b', { enabled: false }), () => 'ok'),
    ]);
    expect(results.every((r) => r === 'ok')).toBe(true);
    const after = json().identities;
    expect(after.map((e) => e.id)).toEqual(['a', 'b', 'c', ...Array.from({ length: 10 }, (_, i) => `n${i}`)]);
    expect(after[0]).toMatchObject({ rpm: 11, weight: 5 });
    expect(after[1]).toMatchObject({ enabled: false });
  });

  test('a reload waits for an edit in progress and sees its result', async () => {
    const { store } = await loaded();
    const [, reloaded] = await Promise.all([store.edit(addEntry('late', {}), () => {}), store.reload((next) => ids(next))]);
    expect(reloaded).toEqual(['a', 'b', 'c', 'late']);
  });
});
