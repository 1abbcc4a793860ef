// The dependency rule of docs/ARCHITECTURE.md, checked on the imports of every file in src/:
// http → chat → sessions / pool / conversation → providers / store. Only http/ knows Elysia,
// only providers/<site>/ knows its site (and linkedom), only store/ and sessions/ reach SQLite.

import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = join(import.meta.dir, '../src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every import of every source file: the importing folder (relative to src) and what it imports (a src folder or a package). */
const IMPORTS = filesUnder(SRC).flatMap((file) => {
  const from = relative(SRC, file);
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/^(?:import|export)\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => {
    const spec = m[1]!;
    const target = spec.startsWith('.') ? relative(SRC, resolve(dirname(file), spec)) : spec;
    return { from, target };
  });
});

const folderOf = (path: string) => (path.includes('/') ? path.slice(0, path.indexOf('/')) : path);
const importsOf = (folder: string) => IMPORTS.filter((i) => folderOf(i.from) === folder);
const violations = (folder: string, allowed: (target: string) => boolean) =>
  importsOf(folder)
    .filter((i) => !allowed(i.target))
    .map((i) => `${i.from} → ${i.target}`);

const isPackage = (t: string) => !t.endsWith('.ts') && !t.startsWith('..');
const inFolders = (...folders: string[]) => (t: string) => folders.includes(folderOf(t)) || ['errors.ts', 'log.ts', 'config.ts', 'version.ts'].includes(t);

describe('the dependency rule', () => {
  test('the scan sees the imports', () => {
    expect(IMPORTS.length).toBeGreaterThan(150);
    expect(IMPORTS).toContainEqual({ from: 'http/app.ts', target: 'elysia' });
    expect(IMPORTS).toContainEqual({ from: 'chat/failover.ts', target: 'pool/identity-pool.ts' });
  });

  test('only http/ imports Elysia and its plugins', () => {
    expect(IMPORTS.filter((i) => /^(elysia|@elysiajs\/)/.test(i.target) && folderOf(i.from) !== 'http').map((i) => i.from)).toEqual([]);
  });

  test('only providers/kimi-ai-chat/ parses HTML (linkedom)', () => {
    expect(IMPORTS.filter((i) => i.target === 'linkedom' && !i.from.startsWith('providers/kimi-ai-chat/')).map((i) => i.from)).toEqual([]);
  });

  test('only the composition roots and providers/ name a site: nothing else imports providers/kimi-ai-chat/', () => {
    const roots = ['gateway.ts', 'cli/check.ts'];
    expect(IMPORTS.filter((i) => i.target.startsWith('providers/kimi-ai-chat/') && !i.from.startsWith('providers/') && !roots.includes(i.from)).map((i) => `${i.from} → ${i.target}`)).toEqual([]);
  });

  test('only store/ and sessions/ use SQLite', () => {
    expect(IMPORTS.filter((i) => i.target === 'bun:sqlite' && !['store', 'sessions'].includes(folderOf(i.from))).map((i) => i.from)).toEqual([]);
  });

  test('providers/ depends on nothing of the gateway but errors and logging', () => {
    expect(violations('providers', (t) => isPackage(t) || inFolders('providers')(t))).toEqual([]);
  });

  test('tools/ is pure: it imports nothing but itself', () => {
    expect(violations('tools', (t) => isPackage(t) || folderOf(t) === 'tools')).toEqual([]);
  });

  test('store/ depends on nothing above it', () => {
    expect(violations('store', (t) => isPackage(t) || inFolders('store')(t))).toEqual([]);
  });

  test('pool/, sessions/ and conversation/ reach down only (providers/, store/), never up', () => {
    for (const folder of ['pool', 'sessions', 'conversation']) {
      expect({ folder, bad: violations(folder, (t) => isPackage(t) || inFolders(folder, 'providers', 'store', 'conversation', 'tools')(t)) }).toEqual({ folder, bad: [] });
    }
  });

  test('chat/ uses the layers below it and never http/ or ops/', () => {
    expect(violations('chat', (t) => isPackage(t) || inFolders('chat', 'pool', 'sessions', 'conversation', 'providers', 'store', 'tools')(t))).toEqual([]);
  });

  test('nothing but http/ and the composition roots imports http/', () => {
    const roots = ['gateway.ts', 'main.ts'];
    expect(IMPORTS.filter((i) => folderOf(i.target) === 'http' && folderOf(i.from) !== 'http' && !roots.includes(i.from)).map((i) => `${i.from} → ${i.target}`)).toEqual([]);
  });
});
