// src/tools/ is pure: it imports only its own files (no packages, no node: or bun: modules,
// nothing else of the gateway), so every surface and the emulator's tests can use it as is.

import { expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(import.meta.dir, '../../src/tools');

test('src/tools/ imports only its own files, and every file says what it is for', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));
  expect(files.length).toBeGreaterThan(8);
  let seen = 0;
  for (const file of files) {
    const source = readFileSync(join(DIR, file), 'utf8');
    const imports = [...source.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? m[2]!);
    const outside = imports.filter((i) => !/^\.\/[a-z-]+\.ts$/.test(i));
    expect({ file, outside, dynamic: /\b(?:import|require)\s*\(/.test(source) }).toEqual({ file, outside: [], dynamic: false });
    seen += imports.length;
    expect({ file, opensWithComment: source.startsWith('// ') }).toEqual({ file, opensWithComment: true });
  }
  expect(seen).toBeGreaterThan(20); // the scan does see the imports
});
